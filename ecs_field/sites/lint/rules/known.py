"""Facts the lint rules check against, kept as data in one place (each with its source).

Change these tables, not the rules, when VMware ships new classes or names.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BuiltinClass:
    cpus: int
    memory_gib: int
    reserved: bool  # "guaranteed-*" classes reserve CPU and memory


# The default VM classes of vSphere with Tanzu / VM Service (vm-operator); source: VMware's
# "Virtual Machine Classes for TKG clusters" table (best-effort-* and guaranteed-*, xsmall..8xlarge).
_SIZES = {
    "xsmall": (2, 2),
    "small": (2, 4),
    "medium": (2, 8),
    "large": (4, 16),
    "xlarge": (4, 32),
    "2xlarge": (8, 64),
    "4xlarge": (16, 128),
    "8xlarge": (32, 128),
}
BUILTIN_VM_CLASSES: dict[str, BuiltinClass] = {
    **{f"best-effort-{size}": BuiltinClass(cpu, mem, False) for size, (cpu, mem) in _SIZES.items()},
    **{f"guaranteed-{size}": BuiltinClass(cpu, mem, True) for size, (cpu, mem) in _SIZES.items()},
}

# vm-operator v1alpha1 VirtualMachineMetadataTransport values (api/v1alpha1/virtualmachine_types.go).
VM_METADATA_TRANSPORTS = frozenset({"ExtraConfig", "OvfEnv", "vAppConfig", "CloudInit", "Sysprep"})
# vm-operator v1alpha1 VirtualMachinePowerState values.
VM_POWER_STATES = frozenset({"poweredOn", "poweredOff", "suspended"})
# Keys vm-operator reads the bootstrap data from, per transport (v1alpha1 -> v1alpha3 conversion).
CLOUD_INIT_KEYS = ("user-data", "userdata", "guestinfo.userdata")  # blogs also use the loose "userdata"
SYSPREP_KEYS = ("unattend",)

# Namespaces that exist on an ECS host without the repository declaring them: Kubernetes'
# own, Flux's, and the two ECS uses (esx-system for HostConfiguration, ec-system for the worker
# node; the public ECS example declares ec-system itself, which is harmless).
WELL_KNOWN_NAMESPACES = frozenset(
    {
        "default",
        "kube-system",
        "kube-public",
        "kube-node-lease",
        "flux-system",
        "esx-system",
        "ec-system",
    }
)

# Kinds that live outside namespaces (Kubernetes core + the vm-operator class as ECS uses it).
CLUSTER_SCOPED_KINDS = frozenset(
    {
        "Namespace",
        "Node",
        "PersistentVolume",
        "StorageClass",
        "PriorityClass",
        "RuntimeClass",
        "IngressClass",
        "ClusterRole",
        "ClusterRoleBinding",
        "CustomResourceDefinition",
        "APIService",
        "CSIDriver",
        "CSINode",
        "MutatingWebhookConfiguration",
        "ValidatingWebhookConfiguration",
        "VolumeSnapshotClass",
        "VirtualMachineClass",
        "VirtualMachineImage",
        "ClusterVirtualMachineImage",
    }
)

# ESXi's own names: port groups that exist on a fresh host (vSwitch0).
ESXI_DEFAULT_PORT_GROUPS = frozenset({"VM Network", "Management Network"})

# The USB NIC Fling driver and the option that makes it claim adapters during boot, so vusbN
# exists before the network (and the management uplink) comes up. Source: USB Network Native
# Driver for ESXi (Fling) documentation; the public ECS example sets exactly this.
USB_NIC_MODULE = "vmkusb_nic_fling"
USB_BOOT_SCAN_OPTION = "usbBusFullScanOnBootEnabled"

# Memory ESXi keeps for itself on a small host (estimate for the overcommit warning only).
ESXI_MEMORY_RESERVE_GIB = 4


@dataclass(frozen=True)
class RemovedApi:
    """An apiVersion/kind pair Kubernetes stopped serving: since which release and what to do."""

    since: str
    hint: str


def _moved(since: str, api_version: str) -> RemovedApi:
    return RemovedApi(since, f"Use apiVersion: {api_version} (check the fields it renamed).")


# Kubernetes API versions that no longer serve these kinds (Kubernetes deprecated API
# migration guide: removed in 1.16 / 1.22 / 1.25).
REMOVED_APIS: dict[tuple[str, str], RemovedApi] = {
    ("extensions/v1beta1", "Deployment"): _moved("Kubernetes 1.16", "apps/v1"),
    ("extensions/v1beta1", "DaemonSet"): _moved("Kubernetes 1.16", "apps/v1"),
    ("extensions/v1beta1", "ReplicaSet"): _moved("Kubernetes 1.16", "apps/v1"),
    ("apps/v1beta1", "Deployment"): _moved("Kubernetes 1.16", "apps/v1"),
    ("apps/v1beta2", "Deployment"): _moved("Kubernetes 1.16", "apps/v1"),
    ("extensions/v1beta1", "Ingress"): _moved("Kubernetes 1.22", "networking.k8s.io/v1"),
    ("networking.k8s.io/v1beta1", "Ingress"): _moved("Kubernetes 1.22", "networking.k8s.io/v1"),
    ("rbac.authorization.k8s.io/v1beta1", "ClusterRole"): _moved(
        "Kubernetes 1.22", "rbac.authorization.k8s.io/v1"
    ),
    ("rbac.authorization.k8s.io/v1beta1", "ClusterRoleBinding"): _moved(
        "Kubernetes 1.22", "rbac.authorization.k8s.io/v1"
    ),
    ("rbac.authorization.k8s.io/v1beta1", "Role"): _moved("Kubernetes 1.22", "rbac.authorization.k8s.io/v1"),
    ("rbac.authorization.k8s.io/v1beta1", "RoleBinding"): _moved(
        "Kubernetes 1.22", "rbac.authorization.k8s.io/v1"
    ),
    ("apiextensions.k8s.io/v1beta1", "CustomResourceDefinition"): _moved(
        "Kubernetes 1.22", "apiextensions.k8s.io/v1"
    ),
    # No successor API: Pod Security Admission replaced it with namespace labels.
    ("policy/v1beta1", "PodSecurityPolicy"): RemovedApi(
        "Kubernetes 1.25",
        "PodSecurityPolicy has no replacement API; delete this object and label the namespace "
        "for Pod Security Admission instead (pod-security.kubernetes.io/enforce: <level>).",
    ),
    ("batch/v1beta1", "CronJob"): _moved("Kubernetes 1.25", "batch/v1"),
}

# The Kubernetes minor version the schemas and the removed-API rule assume for the host. ECS does
# not publish the version its hosts run; 1.30 is the oldest release the shipped schema package
# (kubernetes-validate) covers that is still supported by Flux 2.4+ (Kubernetes >= 1.30 in its
# compatibility table). An API removed in a later release is a warning, not an error.
HOST_KUBERNETES_VERSION = (1, 30)

# More Kubernetes API versions, by the release that stopped serving them (Kubernetes deprecated
# API migration guide, kubernetes.io/docs/reference/using-api/deprecation-guide).
for _kind in ("PodDisruptionBudget",):
    REMOVED_APIS[("policy/v1beta1", _kind)] = _moved("Kubernetes 1.25", "policy/v1")
REMOVED_APIS[("autoscaling/v2beta1", "HorizontalPodAutoscaler")] = _moved("Kubernetes 1.25", "autoscaling/v2")
REMOVED_APIS[("autoscaling/v2beta2", "HorizontalPodAutoscaler")] = _moved("Kubernetes 1.26", "autoscaling/v2")
REMOVED_APIS[("discovery.k8s.io/v1beta1", "EndpointSlice")] = _moved("Kubernetes 1.25", "discovery.k8s.io/v1")
REMOVED_APIS[("events.k8s.io/v1beta1", "Event")] = _moved("Kubernetes 1.25", "events.k8s.io/v1")
REMOVED_APIS[("node.k8s.io/v1beta1", "RuntimeClass")] = _moved("Kubernetes 1.25", "node.k8s.io/v1")
REMOVED_APIS[("storage.k8s.io/v1beta1", "CSIStorageCapacity")] = _moved(
    "Kubernetes 1.27", "storage.k8s.io/v1"
)
for _kind in ("FlowSchema", "PriorityLevelConfiguration"):
    REMOVED_APIS[("flowcontrol.apiserver.k8s.io/v1beta1", _kind)] = _moved(
        "Kubernetes 1.26", "flowcontrol.apiserver.k8s.io/v1"
    )
    REMOVED_APIS[("flowcontrol.apiserver.k8s.io/v1beta2", _kind)] = _moved(
        "Kubernetes 1.29", "flowcontrol.apiserver.k8s.io/v1"
    )
    REMOVED_APIS[("flowcontrol.apiserver.k8s.io/v1beta3", _kind)] = _moved(
        "Kubernetes 1.32", "flowcontrol.apiserver.k8s.io/v1"
    )

# Flux API versions removed from the CRDs. Flux 2.7 removed every v1beta1/v2beta1 (fluxcd/flux2
# issue 5474, Flux 2.7 release blog); Flux 2.8 removed v1beta2/v2beta2 (kustomize-controller PR
# 1584, helm-controller PR 1404, tracked in fluxcd/flux2 issue 5711). Older Flux still serves them,
# so these are warnings: they break on the Flux upgrade, not today.
FLUX_REMOVED: dict[str, tuple[str, str]] = {
    "source.toolkit.fluxcd.io/v1beta1": ("Flux 2.7", "source.toolkit.fluxcd.io/v1"),
    "kustomize.toolkit.fluxcd.io/v1beta1": ("Flux 2.7", "kustomize.toolkit.fluxcd.io/v1"),
    "helm.toolkit.fluxcd.io/v2beta1": ("Flux 2.7", "helm.toolkit.fluxcd.io/v2"),
    "image.toolkit.fluxcd.io/v1beta1": ("Flux 2.7", "image.toolkit.fluxcd.io/v1"),
    "notification.toolkit.fluxcd.io/v1beta1": ("Flux 2.7", "notification.toolkit.fluxcd.io/v1"),
    "source.toolkit.fluxcd.io/v1beta2": ("Flux 2.8", "source.toolkit.fluxcd.io/v1"),
    "kustomize.toolkit.fluxcd.io/v1beta2": ("Flux 2.8", "kustomize.toolkit.fluxcd.io/v1"),
    "helm.toolkit.fluxcd.io/v2beta2": ("Flux 2.8", "helm.toolkit.fluxcd.io/v2"),
    "image.toolkit.fluxcd.io/v1beta2": ("Flux 2.8", "image.toolkit.fluxcd.io/v1"),
    "notification.toolkit.fluxcd.io/v1beta2": (
        "Flux 2.8",
        "notification.toolkit.fluxcd.io/v1 (Receiver) or v1beta3 (Alert, Provider)",
    ),
}
