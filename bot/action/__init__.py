"""The scripts behind the steps of the composite Action (action.yml).

Each runs as a file (`python $GITHUB_ACTION_PATH/bot/action/<name>.py`) with the Action's
private virtual environment and uses only the standard library, so it works before, and
independently of, anything else the Action installs.
"""
