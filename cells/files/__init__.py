"""Files in and out: Gatescope's own network formats (``.npz``/JSON in storage), the PyTorch/Keras weight
layouts (interop), and models as they were saved by PyTorch, safetensors, Keras and ONNX.

``cells.files.model.load`` (``cells.load``) reads any of them, untrusted, into a ``LoadedModel``: the
recurrent network, and the embedding, vocabulary and output head found beside it.
"""
