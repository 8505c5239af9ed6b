"""Face masks for aligned crops: from landmarks now, learned segmentation later (`Masker`)."""
