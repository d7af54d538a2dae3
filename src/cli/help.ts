import { FINETUNE_HELP } from './finetune-help.js';

/** @internal `dvme --help`. */
export const MAIN_HELP = `dvme: pretrained image backbones as medical image classifiers.

Usage:
  dvme <command> [options]

Commands:
  linear-eval   The paper's linear-evaluation protocol on a MedMNIST dataset (or on saved
                embedding sets): fit linear probes on class-balanced subsets (S / M / F),
                repeat with seeds, report mean ± std on the test set.
  embed         Embed a dataset (image folder, CSV / JSON manifest, .npz) with one backbone
                into an embedding set (embeddings.npy + manifest.json); --shard i/n embeds
                one slice, for array jobs.
  merge         Join the shards of a sharded embed into one embedding set.
  fuse          Fusion evaluation: concat, DME and the DVME variants against every single
                source, on the same draws (the paper's Table 4), from saved embedding sets or
                a MedMNIST dataset and models.
  finetune      Fine-tune a backbone end to end on a dataset (image folder, CSV / JSON
                manifest, .npz), score it on the test split, write a results .json.
  report        A results .json (from fuse, linear-eval or finetune --out) as one
                self-contained HTML page: tables, ROC curves, confusion matrices, learning
                curves, attention maps.

Options:
  -h, --help      Show help (dvme <command> --help for the command's options).
  -v, --version   Print the version.
  --json          (every command) Machine-readable stdout: the results document, or
                  {"error": {name, code, message, exitCode}} on failure.

Exit codes:
  0    success
  1    failure not covered below (a bug, out of memory)
  2    usage: unknown command or option, bad value, a file that cannot be read
  3    bad input data: malformed or mismatched embedding sets, unreadable images or models
  4    download failed (network, HTTP status, checksum), or --offline with nothing cached
  130  interrupted (Ctrl-C)
Progress bars with an ETA go to stderr; results go to stdout and the --out files.
`;

/** @internal `dvme linear-eval --help`. */
export const LINEAR_EVAL_HELP = `Usage:
  dvme linear-eval --dataset <name> --sources <list> [options]

Data (a MedMNIST dataset embedded with --sources, or saved embedding sets):
  --embeddings <list>     Saved embedding sets (dvme embed output folders) as
                          name=<folder>,name=<folder>; every set must hold the same images
                          with the same splits and labels. Replaces --dataset / --sources.
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
                          mobilenet=models/mobilenet/model.json,pixels (required with --dataset)
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
                          graded labels such as retinamnist, else auc; auc for --embeddings)
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
  --out <file>            Write the results: .json (the results document: every run with its
                          test predictions, history and metadata; dvme report draws it), .md
                          (table and notes) or .csv (one line per run).
  --markdown <file.md>    Also write the Markdown table and notes.
  --json                  Print the results document as JSON on stdout instead of the table.
                          Progress goes to stderr either way.

Example:
  dvme linear-eval --dataset retinamnist --data data/ --sources \\
    mobilenet=models/mobilenet_v2/model.json,inception=models/inception_v3/model.json,pixels \\
    --embedding-layer flatten_1 --sizes 50,500,all --repeats 5 --metric quadraticKappa \\
    --solver lbfgs --cache-dir .cache/embeddings --out results.md
`;

/** @internal `dvme fuse --help`. */
export const FUSE_HELP = `Usage:
  dvme fuse --embeddings <name=folder,...> [options]
  dvme fuse --dataset <name> --sources <list> [options]

Trains every fusion model and every single-source probe on the same class-balanced draws
(S / M / F sizes, seeded repeats) and prints the paper's Table 4: each fusion model beside the
best fused source on its own, with the paired per-repeat difference.

Fusion:
  --models <list>         concat, dme, dvme (feature tokens, the paper's listing), dvme-source
                          (one token per source, the paper's figure), dvme-noattn (the ablation)
                          (default: all five)
  --fusion-sources <list> Sources the fusion models combine (default: every source)
  --projection-dim <n>    Projection width of DME and DVME (default 512)
  --source-heads <n>      Attention heads of dvme-source (default 8; must divide the width)
  --min-epochs <n>        Fusion training epochs, at least (default 30, the paper's)
  --max-epochs <n>        and at most (default 50)
  --standardize           Standardise every source with each draw's mean and std (probes and
                          fusion models alike)

Data, sources, protocol and output: as dvme linear-eval (run dvme linear-eval --help):
  --embeddings, --dataset, --data, --image-size, --offline, --pool, --sources,
  --embedding-layer, --mean, --std, --batch-size, --cache-dir, --sizes, --repeats, --metric,
  --solver (of the single-source probes), --validation, --seed, --out (.json or .md),
  --markdown, --json

Example (embed -> fuse -> report):
  dvme fuse --embeddings mobilenet=emb/mobilenet,inception=emb/inception \\
    --metric quadraticKappa --sizes 50,500,all --repeats 5 --out results.json
  dvme report results.json -o report.html
`;

/** @internal `dvme report --help`. */
export const REPORT_HELP = `Usage:
  dvme report <results.json> [-o report.html] [options]

Writes one self-contained HTML file (inline CSS and SVG; no script, no network): the paper's
Table 4, single sources, then per size ROC curves per source and fusion model (DeLong interval
of each AUC in the legend, bootstrap band shaded), confusion matrices (counts and normalised),
per-class metrics, learning curves with the kept epoch marked, DVME attention maps, and the
run's metadata (data, sources and weight hashes, seeds of every run, versions, wall times).

Options:
  -o, --out <file.html>   Where to write (default: the input's name with .html)
  --title <text>          Page title (default: "<dataset>: fusion evaluation")
  --bootstrap <n>         Resamples of each ROC band, 0 for none (default 500)
  --json                  Print {out, bytes, wallMs} on stdout
`;

/** @internal The help text of a topic (a command), or the main help. */
export function helpFor(topic: string | undefined): string {
  if (topic === 'linear-eval') return LINEAR_EVAL_HELP;
  if (topic === 'fuse') return FUSE_HELP;
  if (topic === 'report') return REPORT_HELP;
  if (topic === 'embed') return EMBED_HELP;
  if (topic === 'merge') return MERGE_HELP;
  if (topic === 'finetune') return FINETUNE_HELP;
  return MAIN_HELP;
}

/** @internal `dvme embed --help`. */
export const EMBED_HELP = `Usage:
  dvme embed --data <folder|manifest|npz> (--model <model.json> | --backbone <name>) --out <dir> [options]

Data:
  --data <path>           An image folder (<dir>/<class>/<image>, or <dir>/<split>/<class>/<image>),
                          a .csv manifest (header: path,label[,split] or path,labels with
                          |-separated names for multi-label), a .json manifest, or a MedMNIST .npz.
                          Images: PNG (16-bit kept at full depth), JPEG, DICOM (.dcm).
  --classes <a,b,...>     Class names in label order; other labels are errors (default: the
                          labels found, sorted; numerically when all are integers)
  --window <w>            16-bit PNG / DICOM to 0-1: file (the DICOM window, else min-max;
                          default), minmax, full, or <center>,<width> (e.g. 40,400)
  --on-error <e>          fail (default) or skip: leave out missing / unreadable images and
                          unknown labels, list them in the manifest and on stderr
  --val <f>, --test <f>   Give images without a split a seeded, label-stratified val / test
                          split of these fractions (default 0: all train)
  --seed <n>              Seed of those splits (default 0)

Backbone:
  --model <path|URL>      A tfjs model.json; with --embedding-layer <l>, --mean <r,g,b> and
                          --std <r,g,b> (default 0,0,0 and 1,1,1: pixels / 255)
  --backbone <name>       A registry backbone (its own preprocessing); --offline: cache only
  --batch-size <n>        Images per forward pass (default 16)
  --chunk <n>             Images read and decoded at a time (default 256)

Output and resuming:
  --out <dir>             Folder of the embedding set; sharded runs write <dir>/shard-<i>-of-<n>.
                          A folder that already holds this set is left alone (--force redoes it).
  --cache-dir <dir>       Embedding cache (default ~/.cache/dvme/embeddings): every batch is kept
                          as it is embedded, so a stopped run resumes. --no-cache: none.
  --json                  Print a JSON summary (or { error }) on stdout; progress stays on stderr.

Sharding (one slice per array-job task; merge with dvme merge):
  --shard <i>/<n>         Embed shard i (from 0) of n: a contiguous slice of the dataset.
  --shards <n>            Take the index from the environment: JOB_COMPLETION_INDEX
                          (Kubernetes Indexed Job), else SLURM_ARRAY_TASK_ID (minus
                          SLURM_ARRAY_TASK_MIN)
  --shard-from-env <VAR>  ... or from this variable (AWS_BATCH_JOB_ARRAY_INDEX, ...)

Exit codes: 0 the set is written (or already was); 2 a usage mistake; 3 bad data
(unreadable images, unknown labels with --on-error fail); 4 a download failed; 1 any other
failure (see dvme --help). SOURCE_DATE_EPOCH fixes the manifest's "created" time.

Example:
  dvme embed --data xrays/labels.csv --model models/mobilenet_v2/model.json \\
    --embedding-layer flatten_1 --out out/mobilenet --shard 0/4
`;

/** @internal `dvme merge --help`. */
export const MERGE_HELP = `Usage:
  dvme merge <shard folder or parent folder>... --out <dir> [--json]

Joins the shards of a sharded dvme embed into the embedding set one unsharded run writes,
byte for byte. A folder holding shard-<i>-of-<n> folders stands for all of them. Refuses
(exit 3) shards of different backbones, fingerprints, datasets or shard counts, and missing
or repeated shards.

Example:
  dvme merge out/mobilenet --out embeddings/mobilenet
`;
