"""qaug.quantum"""
