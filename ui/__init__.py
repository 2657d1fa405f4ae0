"""Streamlit pieces shared by pages: widget groups, cached engine calls, component mounts, presenter CSS.

Every module here imports Streamlit; what the app decides without it (models and their links, settings,
training, lessons) is in workbench/.
"""
