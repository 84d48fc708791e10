"""Load OGC API – Features layers in headless QGIS with a Basic authentication
configuration, and print what QGIS got as JSON on stdout.

Run by ``test_qgis_oapif.py`` with Debian's system Python (``/usr/bin/python3``), which
has QGIS's bindings; the venv does not. Input, as JSON on stdin::

    {"url": "http://127.0.0.1:PORT/ogc/", "profile": "/tmp/...",
     "loads": [{"username": "...", "password": "...", "typename": "scenes",
                "id_field": "scene_id"}, ...]}

Output: one entry per load: ``valid``, ``error``, the field names, and each feature's
value of ``id_field``.
"""

from __future__ import annotations

import faulthandler
import json
import os
import sys


def main() -> None:
    """Read the request on stdin, load each layer, print the result."""
    faulthandler.enable()
    request = json.load(sys.stdin)
    profile = request["profile"]
    os.environ["QGIS_AUTH_DB_DIR_PATH"] = profile  # the auth db lives in the temp profile
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from qgis.core import QgsApplication, QgsAuthMethodConfig, QgsVectorLayer

    QgsApplication.setPrefixPath("/usr", True)
    app = QgsApplication([], False, profile)
    app.initQgis()
    auth = QgsApplication.authManager()
    auth.setMasterPassword("master password of a throwaway profile", True)
    out = []
    for load in request["loads"]:
        config = QgsAuthMethodConfig("Basic")
        config.setName(f"drugscenes {load['username']}")
        config.setConfig("username", load["username"])
        config.setConfig("password", load["password"])
        stored = auth.storeAuthenticationConfig(config)
        if isinstance(stored, tuple):  # some PyQGIS versions return (ok, config)
            stored, config = stored
        assert stored and config.id(), "QGIS did not store the authentication config"
        uri = f"url='{request['url']}' typename='{load['typename']}' authcfg={config.id()}"
        layer = QgsVectorLayer(uri, load["typename"], "OAPIF")
        entry = {
            "username": load["username"],
            "typename": load["typename"],
            "authcfg": config.id(),
            "valid": layer.isValid(),
            # (QgsVectorLayer.error() crashes 3.22 on a layer whose provider failed)
            "error": "" if layer.isValid() else "the OAPIF provider could not load it",
            "fields": [],
            "ids": [],
        }
        if layer.isValid():
            entry["fields"] = [f.name() for f in layer.fields()]
            entry["crs"] = layer.crs().authid()
            entry["ids"] = [f[load["id_field"]] for f in layer.getFeatures()]
            entry["ids"] = [v if isinstance(v, int | str) else str(v) for v in entry["ids"]]
        out.append(entry)
        del layer
    print(json.dumps(out), flush=True)
    # leave without QGIS's exit path, which can crash in a headless process at shutdown
    os._exit(0)


if __name__ == "__main__":
    main()
