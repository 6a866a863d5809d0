"""`python -m motcua_workspace`: run the officers' workspace (its pages on WORKSPACE_HTTP_PORT)."""

from motcua_runtime.entrypoint import service_main
from motcua_workspace import SERVICE
from motcua_workspace.app import run
from motcua_workspace.settings import WorkspaceSettings

if __name__ == "__main__":
    service_main(SERVICE, WorkspaceSettings, run)
