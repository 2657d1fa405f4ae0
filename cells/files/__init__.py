"""Files: the network file formats (``.npz``/JSON in storage) and the PyTorch/Keras weight layouts (interop)."""
