import { SeededRandom, Zipf } from '../support/random';

// Customs vocabulary: real base nouns, compounded the way Korean customs text compounds them
// (관세율표, 수입신고서, 원산지증명서), with particles, verb endings, English words and HS codes.
const BASES = [
  '관세',
  '수입',
  '수출',
  '신고',
  '원산지',
  '증명서',
  '세율',
  '품목',
  '분류',
  '통관',
  '화물',
  '보세',
  '창고',
  '검사',
  '환급',
  '감면',
  '면세',
  '과세',
  '가격',
  '운임',
  '보험',
  '계약',
  '서류',
  '송장',
  '선하증권',
  '협정',
  '특혜',
  '할당',
  '덤핑',
  '상계',
  '긴급',
  '조정',
  '규정',
  '고시',
  '법령',
  '시행',
  '세관',
  '심사',
  '정정',
  '취하',
  '납부',
  '담보',
  '연장',
  '분할',
  '가산',
  '벌칙',
  '위반',
  '밀수',
  '단속',
  '적발',
  '물품',
  '원재료',
  '부품',
  '완제품',
  '식품',
  '의약품',
  '화장품',
  '전자',
  '기계',
  '섬유',
  '의류',
  '농산물',
  '수산물',
  '축산물',
  '쌀',
  '소고기',
  '돼지고기',
  '과일',
  '채소',
  '커피',
  '와인',
  '맥주',
  '담배',
  '자동차',
  '반도체',
  '배터리',
  '철강',
  '알루미늄',
  '플라스틱',
  '목재',
  '종이',
  '화학',
  '비료',
  '장난감',
  '가구',
  '시계',
  '요건',
  '허가',
  '승인',
  '확인',
  '검역',
  '위생',
  '안전',
  '인증',
  '표시',
  '라벨',
  '포장',
  '중량',
  '수량',
  '단가',
  '총액',
  '환율',
  '외화',
  '결제',
  '대금',
  '선적',
  '도착',
  '하역',
  '운송',
  '컨테이너',
  '항공',
  '해상',
  '택배',
  '특송',
  '개인',
  '법인',
  '사업자',
  '대리인',
  '관세사',
  '무역',
  '거래',
  '상담',
  '문의',
  '절차',
  '기간',
  '기한',
  '방법',
  '기준',
  '대상',
  '제외',
];
const PARTICLES = [
  '은',
  '는',
  '이',
  '가',
  '을',
  '를',
  '에',
  '에서',
  '으로',
  '의',
  '와',
  '과',
  '도',
  '만',
];
const ENDINGS = [
  '합니다',
  '입니다',
  '하세요',
  '되나요',
  '인가요',
  '했습니다',
  '됩니다',
  '필요합니다',
  '확인해주세요',
  '알려주세요',
];
export const ENGLISH = [
  'customs',
  'tariff',
  'duty',
  'import',
  'export',
  'declaration',
  'origin',
  'certificate',
  'invoice',
  'shipment',
  'cargo',
  'clearance',
  'inspection',
  'refund',
  'exemption',
  'rate',
  'classification',
  'code',
  'agreement',
  'preferential',
  'quota',
  'dumping',
  'warehouse',
  'bonded',
  'container',
  'freight',
  'insurance',
  'value',
  'payment',
  'license',
  'permit',
  'quarantine',
  'label',
  'weight',
  'quantity',
  'price',
  'currency',
  'exchange',
  'broker',
  'agent',
  'regulation',
  'notice',
  'penalty',
  'fta',
  'hs',
  'cif',
  'fob',
  'incoterms',
  'eori',
  'kcs',
  'unipass',
  'aeo',
  'ecommerce',
  'parcel',
  'courier',
  'battery',
  'semiconductor',
  'steel',
  'aluminum',
  'textile',
  'apparel',
  'food',
  'medicine',
  'cosmetics',
  'vehicle',
  'machinery',
];
const VOCABULARY_SIZE = 4800;

export interface Vocabulary {
  /** Korean words by frequency rank, most common first. */
  korean: string[];
  english: string[];
}

/** The same vocabulary for a seed: bases first (the common words), then compounds. */
export function buildVocabulary(random: SeededRandom): Vocabulary {
  const words = new Set<string>(BASES);
  while (words.size < VOCABULARY_SIZE) {
    const parts = random.next() < 0.8 ? 2 : 3;
    words.add(Array.from({ length: parts }, () => random.pick(BASES)).join(''));
  }
  const compounds = [...words].slice(BASES.length);
  for (let i = compounds.length - 1; i > 0; i -= 1) {
    const j = random.int(i + 1);
    [compounds[i], compounds[j]] = [compounds[j], compounds[i]];
  }
  return { korean: [...BASES, ...compounds], english: ENGLISH };
}

/** Writes messages of 4-20 words drawn with Zipf frequencies. */
export class MessageWriter {
  private readonly korean: Zipf;
  private readonly english: Zipf;

  constructor(
    private readonly vocabulary: Vocabulary,
    private readonly random: SeededRandom,
  ) {
    this.korean = new Zipf(vocabulary.korean.length, random, 1.05);
    this.english = new Zipf(vocabulary.english.length, random, 1.0);
  }

  write(): string {
    const words: string[] = [];
    const length = 4 + this.random.int(17);
    for (let i = 0; i < length; i += 1) {
      const roll = this.random.next();
      if (roll < 0.1) {
        const word = this.vocabulary.english[this.english.draw()];
        words.push(this.random.next() < 0.3 ? word.toUpperCase() : word);
      } else if (roll < 0.13) {
        words.push(`${1000 + this.random.int(9000)}.${10 + this.random.int(90)}`);
      } else if (roll < 0.15) {
        words.push(`${this.random.int(100000)}원`);
      } else {
        const noun = this.vocabulary.korean[this.korean.draw()];
        const suffix = this.random.next() < 0.45 ? this.random.pick(PARTICLES) : '';
        words.push(`${noun}${suffix}`);
      }
    }
    if (this.random.next() < 0.5) words.push(this.random.pick(ENDINGS));
    return `${words.join(' ')}${this.random.next() < 0.5 ? '.' : '?'}`;
  }
}
