"""qaug.augment"""
