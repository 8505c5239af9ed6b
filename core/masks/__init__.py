"""Face masks for aligned crops: from landmarks (`landmark`, `dense`) and learned on the shot
(`segment`: a small U-Net that leaves out what covers the face; `segment_train`, `occluders`,
`roto` train it; `plate_matte` writes its face matte for the comp)."""
