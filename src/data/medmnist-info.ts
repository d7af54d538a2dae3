import type { ProbeTask } from '../training/labels.js';

/**
 * The 2D MedMNIST v2 datasets (Yang et al., Scientific Data 2023), by their file names.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { MedMnistName } from 'dvme';
 * const name: MedMnistName = 'retinamnist';
 * ```
 */
export type MedMnistName =
  | 'pathmnist'
  | 'chestmnist'
  | 'dermamnist'
  | 'octmnist'
  | 'pneumoniamnist'
  | 'retinamnist'
  | 'breastmnist'
  | 'bloodmnist'
  | 'tissuemnist'
  | 'organamnist'
  | 'organcmnist'
  | 'organsmnist';

/**
 * What dvme knows about a MedMNIST dataset: its task in {@link Probe} terms, class names,
 * channels, official split sizes, licence and what to cite.
 *
 * @remarks Since 0.1.0. From MedMNIST's own `INFO` table (medmnist 2.x/3.x).
 * @example
 * ```ts
 * import { MEDMNIST_INFO } from 'dvme';
 * const { task, ordinal, classes } = MEDMNIST_INFO.retinamnist;
 * // 'multiclass', true, ['0', '1', '2', '3', '4']
 * ```
 */
export interface MedMnistInfo {
  /** File name without `.npz`. */
  readonly name: MedMnistName;
  /** Display name (`'RetinaMNIST'`). */
  readonly title: string;
  /** The probe task: `'binary'`, `'multiclass'` or `'multilabel'` (ChestMNIST's 14 findings). */
  readonly task: ProbeTask;
  /** Whether the classes are ordered grades (RetinaMNIST's diabetic retinopathy 0-4). */
  readonly ordinal: boolean;
  /** Class (or, for multilabel, finding) names by label index. */
  readonly classes: readonly string[];
  /** 1 (grayscale, images `[n, h, w]`) or 3 (RGB, `[n, h, w, 3]`). */
  readonly channels: 1 | 3;
  /** Official split sizes. */
  readonly samples: { readonly train: number; readonly val: number; readonly test: number };
  /** Licence of the data (DermaMNIST is non-commercial, after HAM10000). */
  readonly license: 'CC BY 4.0' | 'CC BY-NC 4.0';
  /** Cite MedMNIST and the source data set. */
  readonly citation: string;
}

const MEDMNIST_V2 =
  'Yang J, Shi R, Wei D, Liu Z, Zhao L, Ke B, Pfister H, Ni B. MedMNIST v2 - A large-scale lightweight benchmark ' +
  'for 2D and 3D biomedical image classification. Scientific Data 10, 41 (2023).';

const ORGANS = ['bladder', 'femur-left', 'femur-right', 'heart', 'kidney-left', 'kidney-right', 'liver', 'lung-left', 'lung-right', 'pancreas', 'spleen'];
const LITS = 'Bilic P et al. The Liver Tumor Segmentation Benchmark (LiTS). Medical Image Analysis 84 (2023); Xu X et al. Efficient multiple organ localization in CT image using 3D region proposal network. IEEE TMI 38(8) (2019).';

function entry(
  name: MedMnistName,
  title: string,
  task: ProbeTask,
  classes: readonly string[],
  channels: 1 | 3,
  samples: [number, number, number],
  source: string,
  extra: { ordinal?: boolean; license?: MedMnistInfo['license'] } = {},
): MedMnistInfo {
  return Object.freeze({
    name,
    title,
    task,
    ordinal: extra.ordinal ?? false,
    classes: Object.freeze([...classes]),
    channels,
    samples: Object.freeze({ train: samples[0], val: samples[1], test: samples[2] }),
    license: extra.license ?? 'CC BY 4.0',
    citation: `${MEDMNIST_V2} Source data: ${source}`,
  });
}

/**
 * The MedMNIST v2 2D datasets dvme can load with {@link loadMedMnist}.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { MEDMNIST_INFO } from 'dvme';
 * MEDMNIST_INFO.pneumoniamnist.samples; // { train: 4708, val: 524, test: 624 }
 * ```
 */
export const MEDMNIST_INFO: Readonly<Record<MedMnistName, MedMnistInfo>> = Object.freeze({
  pathmnist: entry('pathmnist', 'PathMNIST', 'multiclass', ['adipose', 'background', 'debris', 'lymphocytes', 'mucus', 'smooth muscle', 'normal colon mucosa', 'cancer-associated stroma', 'colorectal adenocarcinoma epithelium'], 3, [89996, 10004, 7180], 'Kather JN et al. Predicting survival from colorectal cancer histology slides using deep learning. PLOS Medicine 16(1) (2019).'),
  chestmnist: entry('chestmnist', 'ChestMNIST', 'multilabel', ['atelectasis', 'cardiomegaly', 'effusion', 'infiltration', 'mass', 'nodule', 'pneumonia', 'pneumothorax', 'consolidation', 'edema', 'emphysema', 'fibrosis', 'pleural', 'hernia'], 1, [78468, 11219, 22433], 'Wang X et al. ChestX-ray8: Hospital-scale chest X-ray database and benchmarks. CVPR 2017.'),
  dermamnist: entry('dermamnist', 'DermaMNIST', 'multiclass', ['actinic keratoses and intraepithelial carcinoma', 'basal cell carcinoma', 'benign keratosis-like lesions', 'dermatofibroma', 'melanoma', 'melanocytic nevi', 'vascular lesions'], 3, [7007, 1003, 2005], 'Tschandl P, Rosendahl C, Kittler H. The HAM10000 dataset. Scientific Data 5 (2018); Codella N et al. arXiv:1902.03368 (2019).', { license: 'CC BY-NC 4.0' }),
  octmnist: entry('octmnist', 'OCTMNIST', 'multiclass', ['choroidal neovascularization', 'diabetic macular edema', 'drusen', 'normal'], 1, [97477, 10832, 1000], 'Kermany DS et al. Identifying medical diagnoses and treatable diseases by image-based deep learning. Cell 172(5) (2018).'),
  pneumoniamnist: entry('pneumoniamnist', 'PneumoniaMNIST', 'binary', ['normal', 'pneumonia'], 1, [4708, 524, 624], 'Kermany DS et al. Identifying medical diagnoses and treatable diseases by image-based deep learning. Cell 172(5) (2018).'),
  retinamnist: entry('retinamnist', 'RetinaMNIST', 'multiclass', ['0', '1', '2', '3', '4'], 3, [1080, 120, 400], 'Liu R et al. DeepDRiD: Diabetic Retinopathy - Grading and Image Quality Estimation Challenge. Patterns 3(6) (2022).', { ordinal: true }),
  breastmnist: entry('breastmnist', 'BreastMNIST', 'binary', ['malignant', 'normal, benign'], 1, [546, 78, 156], 'Al-Dhabyani W et al. Dataset of breast ultrasound images. Data in Brief 28 (2020).'),
  bloodmnist: entry('bloodmnist', 'BloodMNIST', 'multiclass', ['basophil', 'eosinophil', 'erythroblast', 'immature granulocytes (myelocytes, metamyelocytes and promyelocytes)', 'lymphocyte', 'monocyte', 'neutrophil', 'platelet'], 3, [11959, 1712, 3421], 'Acevedo A et al. A dataset of microscopic peripheral blood cell images for development of automatic recognition systems. Data in Brief 30 (2020).'),
  tissuemnist: entry('tissuemnist', 'TissueMNIST', 'multiclass', ['Collecting Duct, Connecting Tubule', 'Distal Convoluted Tubule', 'Glomerular endothelial cells', 'Interstitial endothelial cells', 'Leukocytes', 'Podocytes', 'Proximal Tubule Segments', 'Thick Ascending Limb'], 1, [165466, 23640, 47280], 'Ljosa V, Sokolnicki KL, Carpenter AE. Annotated high-throughput microscopy image sets for validation. Nature Methods 9 (2012) (BBBC051).'),
  organamnist: entry('organamnist', 'OrganAMNIST', 'multiclass', ORGANS, 1, [34581, 6491, 17778], LITS),
  organcmnist: entry('organcmnist', 'OrganCMNIST', 'multiclass', ORGANS, 1, [13000, 2392, 8268], LITS),
  organsmnist: entry('organsmnist', 'OrganSMNIST', 'multiclass', ORGANS, 1, [13940, 2452, 8829], LITS),
});
