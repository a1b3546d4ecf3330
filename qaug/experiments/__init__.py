"""qaug.experiments"""
