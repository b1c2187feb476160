"""The training engine: torch only, no UI library.

Modules that need torch import it themselves, so `config`, `tasks`, `activations` and `presets` stay cheap to
import (the dashboard shows its first frame before torch has loaded).
"""

import warnings

# CPU wheels of torch warn on import when NumPy is absent; xortui never uses NumPy, and the warning would be
# printed over the dashboard.
warnings.filterwarnings("ignore", message="Failed to initialize NumPy")
