"""精准识别 / Identification"""
