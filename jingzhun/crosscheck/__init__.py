"""部门比对 / Cross-department checks"""
