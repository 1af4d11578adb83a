"""ECS Field Kit: hardware checks, boot media and site state for VMware Edge Compute Stack."""

__version__ = "0.2.1"
