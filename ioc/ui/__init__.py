"""The only Streamlit code outside app.py and pages/: state, caching, components, charts and maps."""
