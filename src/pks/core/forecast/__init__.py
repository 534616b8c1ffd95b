"""Demand forecasting (behovsprognos): methods, backtests, selection, acute dimensioning.

Everything here is pure: NumPy arrays in, arrays out. Series of one frequency share one
time axis (`SeriesBatch`); missing periods are NaN, never zero.
"""
