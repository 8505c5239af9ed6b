"""The pair check: does source A's footage cover the poses and expressions of target B?"""
