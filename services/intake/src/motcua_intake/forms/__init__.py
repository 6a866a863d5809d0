"""The dossier's forms 01 to 05 (docs/forms.md): which event calls for which form and what it
states (issuing.py, pure, used by the handlers), the background worker that renders and stores
them (worker.py), and their downloads (api.py)."""
