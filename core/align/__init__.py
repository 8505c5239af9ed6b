"""Face alignment: the canonical mean face and the crop geometry (`FaceCrop`)."""
