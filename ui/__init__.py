"""Streamlit pieces shared by pages: widget groups, cached engine calls, session keys, share links."""
