import base64
import os

# Tests encrypt with a throwaway key of their own; real keys come only from the environment.
os.environ.setdefault("JINGZHUN_MASTER_KEY", base64.b64encode(os.urandom(32)).decode())
