"""drugscenes: mapping and follow-up of open drug scenes (öppna drogscener).

The package keeps geometry in metres in SWEREF 99 TM (EPSG:3006); conversion
from other coordinate systems happens once, when data is read.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("drugscenes")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

CRS_EPSG = 3006
"""EPSG code of the package's working CRS, SWEREF 99 TM (metres)."""

__all__ = ["CRS_EPSG", "__version__"]
