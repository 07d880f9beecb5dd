"""``python -m rewardkit``: the ``rewardkit`` command, for when the script is not on PATH."""

from rewardkit.cli.main import main

if __name__ == "__main__":
    main()
