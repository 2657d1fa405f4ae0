"""Learning: gradients through the cells, optimisers, toy tasks, the readout and the training loop.

The command line is ``python -m cells.learning.train``.
"""
