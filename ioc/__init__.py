"""IOC Cockpit core: config, ingest, contracts, warehouse, scheduler, ops store, i18n, CLI.

Nothing here except ioc.ui imports streamlit.
"""
