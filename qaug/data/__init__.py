"""qaug.data"""
