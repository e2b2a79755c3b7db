"""评议公示 / Appraisal and notice"""
