"""qaug.train"""
