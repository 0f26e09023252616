"""PyTorch reference run of the CIFAR-10 ResNet18 recipe (notebooks/02-cifar10-resnet18.ipynb).

The same recipe as the TypeScript notebook, on the same JPEG copy of CIFAR-10, so the README's results table
compares like with like: ResNet18 with the CIFAR stem (3x3 stride-1 conv1, no maxpool), SGD lr 0.1, momentum
0.9, weight decay 5e-4, cosine schedule stepped once per epoch over the run (as the tutorial and the notebook do), RandomCrop(32, padding=4) + horizontal flip for training
only (the tutorial also augments the test set; that is its mistake, fixed here), CIFAR mean/std normalisation.

Writes one JSON result file (--out) in the format kernel-lib/report/results-table.ts reads.
Run with Debian's Python: /usr/bin/python3 test/bench/reference/cifar10_resnet18.py --help
"""
import argparse
import json
import os
import platform
import time

import torch
import torch.nn as nn
import torchvision
from torchvision import datasets, transforms

CIFAR_MEAN = (0.4914, 0.4822, 0.4465)
CIFAR_STD = (0.2023, 0.1994, 0.2010)  # the tutorial's (and notebook 02's) values


def cifar_resnet18(num_classes: int) -> nn.Module:
    model = torchvision.models.resnet18(weights=None, num_classes=num_classes)
    model.conv1 = nn.Conv2d(3, 64, kernel_size=3, stride=1, padding=1, bias=False)
    model.maxpool = nn.Identity()
    return model


def class_balanced_subset(dataset: datasets.ImageFolder, per_class: int) -> torch.utils.data.Subset:
    """The first `per_class` images of each class, in ImageFolder order: the same subset the TS run takes."""
    taken = {}
    indices = []
    for index, target in enumerate(dataset.targets):
        if taken.get(target, 0) < per_class:
            taken[target] = taken.get(target, 0) + 1
            indices.append(index)
    return torch.utils.data.Subset(dataset, indices)


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", required=True, help="extracted cifar10-jpg folder holding train/ and test/")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--train-per-class", type=int, default=0, help="0 = all 5,000 images per class")
    parser.add_argument("--test-per-class", type=int, default=0, help="0 = all 1,000 images per class")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", required=True, help="result JSON file to write")
    args = parser.parse_args()

    for split in ("train", "test"):
        if not os.path.isdir(os.path.join(args.root, split)):
            raise SystemExit(f"--root {args.root}: no {split}/ folder; extract ../shared/data/cifar10-jpg.tar.gz "
                             "and pass the cifar10-jpg folder")

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    train_transform = transforms.Compose([
        transforms.RandomCrop(32, padding=4),
        transforms.RandomHorizontalFlip(),
        transforms.ToTensor(),
        transforms.Normalize(CIFAR_MEAN, CIFAR_STD),
    ])
    test_transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize(CIFAR_MEAN, CIFAR_STD)])
    train_set = datasets.ImageFolder(os.path.join(args.root, "train"), train_transform)
    test_set = datasets.ImageFolder(os.path.join(args.root, "test"), test_transform)
    if args.train_per_class:
        train_set = class_balanced_subset(train_set, args.train_per_class)
    if args.test_per_class:
        test_set = class_balanced_subset(test_set, args.test_per_class)
    train_loader = torch.utils.data.DataLoader(train_set, batch_size=args.batch_size, shuffle=True,
                                               num_workers=args.workers, drop_last=False)
    test_loader = torch.utils.data.DataLoader(test_set, batch_size=256, num_workers=args.workers)

    model = cifar_resnet18(10).to(device).to(memory_format=torch.channels_last)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    criterion = nn.CrossEntropyLoss()

    history = []
    started = time.time()
    for epoch in range(1, args.epochs + 1):
        model.train()
        epoch_start = time.time()
        seen, correct, loss_sum = 0, 0, 0.0
        for images, labels in train_loader:
            images = images.to(device).to(memory_format=torch.channels_last)
            labels = labels.to(device)
            optimizer.zero_grad()
            logits = model(images)
            loss = criterion(logits, labels)
            loss.backward()
            optimizer.step()
            seen += labels.numel()
            loss_sum += loss.item() * labels.numel()
            correct += (logits.argmax(1) == labels).sum().item()
        scheduler.step()
        train_seconds = time.time() - epoch_start
        test_accuracy = evaluate(model, test_loader, device)
        record = {"epoch": epoch, "trainLoss": loss_sum / seen, "trainAcc": correct / seen,
                  "valAcc": test_accuracy, "seconds": time.time() - epoch_start,
                  "imagesPerSecond": seen / train_seconds}
        history.append(record)
        print(json.dumps(record), flush=True)

    result = {
        "name": "CIFAR-10 resnet18 from scratch (PyTorch reference of notebook 02)",
        "framework": f"PyTorch {torch.__version__}",
        "backend": "cuda" if device.type == "cuda" else f"cpu ({args.threads} threads)",
        "hardware": torch.cuda.get_device_name(0) if device.type == "cuda" else f"{cpu_name()}, {os.cpu_count()} cores",
        "dataset": f"CIFAR-10, JPEG copy ({args.root})",
        "trainImages": len(train_set),
        "testImages": len(test_set),
        "epochs": args.epochs,
        "batchSize": args.batch_size,
        "wallSeconds": time.time() - started,
        "testAccuracy": history[-1]["valAcc"] if history else None,
        "history": history,
        "command": "/usr/bin/python3 test/bench/reference/cifar10_resnet18.py " + " ".join(
            f"--{key.replace('_', '-')} {value}" for key, value in vars(args).items() if key != "out"),
        "finishedAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    temporary = args.out + ".tmp"
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(temporary, "w") as handle:
        json.dump(result, handle, indent=2)
    os.replace(temporary, args.out)
    print(f"wrote {args.out}: test accuracy {result['testAccuracy']:.4f} in {result['wallSeconds']:.0f} s")


@torch.no_grad()
def evaluate(model: nn.Module, loader: torch.utils.data.DataLoader, device: torch.device) -> float:
    model.eval()
    correct, seen = 0, 0
    for images, labels in loader:
        logits = model(images.to(device).to(memory_format=torch.channels_last))
        correct += (logits.argmax(1).cpu() == labels).sum().item()
        seen += labels.numel()
    return correct / seen


if __name__ == "__main__":
    main()
