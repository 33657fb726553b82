"""The web floor: Flask pages, the JSON API and the maps; the only package that imports Flask.

``web.app.create_app`` builds an app; ``web.api.register`` and ``web.pages.register`` add
their blueprints to it; ``web.auth`` says who may call a view.
"""
