from obslint.cli import run

run()
