/** @internal `dvme --help`. */
export const MAIN_HELP = `dvme: pretrained image backbones as medical image classifiers.

Usage:
  dvme <command> [options]

Commands:
  linear-eval   The paper's linear-evaluation protocol on a MedMNIST dataset: embed the images
                with each source, fit linear probes on class-balanced subsets (S / M / F),
                repeat with seeds, report mean ± std on the test set.

Options:
  -h, --help      Show help (dvme linear-eval --help for the command's options).
  -v, --version   Print the version.
`;

/** @internal `dvme linear-eval --help`. */
export const LINEAR_EVAL_HELP = `Usage:
  dvme linear-eval --dataset <name> --sources <list> [options]

Data:
  --dataset <name>        MedMNIST dataset: retinamnist, pneumoniamnist, pathmnist, chestmnist,
                          dermamnist, octmnist, breastmnist, bloodmnist, tissuemnist,
                          organamnist, organcmnist, organsmnist (required)
  --data <path>           A .npz file, or a folder holding <dataset>.npz. Default: download from
                          https://zenodo.org/records/10519652 into the cache (~/.cache/dvme).
  --image-size <px>       28, 64, 128 or 224 (default 28)
  --offline               Never download: use --data or the cache only.
  --pool <n|all>          Embed only a seeded, class-stratified pool of n training images, for
                          slow backbones; the pool is the F size (default all).

Sources (embeddings):
  --sources <list>        Comma-separated: name=<model.json path or URL> for a tfjs model, and
                          'pixels' for the raw-pixel baseline, e.g.
                          mobilenet=models/mobilenet/model.json,pixels (required)
  --embedding-layer <l>   Layer of the tfjs LayersModel whose output is the embedding
                          (default: the model's output)
  --mean <r,g,b>          Subtracted from pixels / 255 (default 0,0,0)
  --std <r,g,b>           Divides them after (default 1,1,1). For ImageNet-normalised models:
                          --mean 0.485,0.456,0.406 --std 0.229,0.224,0.225
  --batch-size <n>        Images per forward pass (default 16)
  --cache-dir <dir>       Keep embeddings as .npy here; a rerun skips the backbones. Every batch
                          is kept as it is embedded (<dir>/records): a stopped run resumes.

Protocol:
  --sizes <list>          Training subset sizes; 'all' is every image (default 50,500,all).
                          Rows are listed in ascending order, 'all' last.
  --repeats <n>           Seeded runs per source and size (default 5)
  --metric <m>            quadraticKappa | kappa | auc | accuracy (default: quadraticKappa for
                          graded labels such as retinamnist, else auc)
  --solver <s>            paper: Adam 1e-3, batch 64, ReduceLROnPlateau, early stopping on the
                          validation score, 30-50 epochs (default); lbfgs: exact logistic
                          regression, fast, no validation needed
  --validation <v>        val: the dataset's validation split (default for paper); none
                          (default for lbfgs); or a fraction held out of each subset
  --standardize           Standardise features with each training draw's mean and std
                          (lbfgs always does; paper trains on raw features unless given,
                          which fails on small-valued embeddings such as nsfwjs' InceptionV3)
  --seed <n>              Base seed of the draws and probes (default 0)

Output:
  --out <file>            Write the results: .md (table and notes), .csv (one line per run) or
                          .json (everything). The table is always printed to stdout; progress
                          goes to stderr.

Example:
  dvme linear-eval --dataset retinamnist --data data/ --sources \\
    mobilenet=models/mobilenet_v2/model.json,inception=models/inception_v3/model.json,pixels \\
    --embedding-layer flatten_1 --sizes 50,500,all --repeats 5 --metric quadraticKappa \\
    --solver lbfgs --cache-dir .cache/embeddings --out results.md
`;
