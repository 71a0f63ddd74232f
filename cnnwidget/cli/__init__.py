"""The ``cnnwidget`` command line (entry point :func:`cnnwidget.cli.main.main`)."""
