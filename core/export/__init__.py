"""Exports of a trained model's swap path for hosts: TorchScript (Nuke's Inference node) and ONNX."""
