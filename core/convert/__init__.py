"""Convert: swap faces into float plates and put them back, bit-exact outside the matte.

`run.convert_plate` is the pass over a plate; `settings.ConvertSettings` its options;
`swapper.ModelSwapper` the network step; `composite` the per-face placement in plate space.
(Nothing is imported here, so reading the settings does not load torch.)
"""
