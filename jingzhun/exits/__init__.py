"""Exit from poverty (脱贫退出): the household check (`households`, in bulk through the identification
engines; `one`, a single household for the workflow), village and county exit (`areas`), the pipeline
(`pipeline`). The procedure itself is the appraisal workflow's `exit` kind (jingzhun.appraisal.kinds)."""
