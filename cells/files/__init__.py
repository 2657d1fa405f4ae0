"""Files in and out: models as they were saved by PyTorch, safetensors, Keras and ONNX, and Gatescope's own
(``.npz``/JSON in ``storage``; the PyTorch and Keras weight layouts in ``interop``).

``cells.files.model.load`` reads any of them, untrusted, into a ``LoadedModel``: the recurrent
network, and the embedding, vocabulary and output head found beside it. ``torch_zip`` reads PyTorch's
zip checkpoints without PyTorch; ``roles`` tells recurrent layers by how their arrays' names end, and
builds a model from roles given by hand where no name says anything.
"""
