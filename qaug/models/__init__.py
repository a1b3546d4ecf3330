"""qaug.models"""
