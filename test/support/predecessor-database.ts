import { Client } from 'pg';

export type MetadataColumn = 'extra_metadata' | 'metadata';

export interface PredecessorSize {
  users: number;
  conversationsPerUser: number;
  /** Messages a conversation holds at most (each has 0..max, decided by a hash). */
  maxMessages: number;
}

/**
 * model-chatbot-fastapi's database as predecessor.md describes what it left running: the seed's
 * tables with its JSONB column named `extra_metadata` (or `metadata`, as the seed guide's DDL has
 * it), `"references"` quoted, the foreign key ON DELETE CASCADE, its extra indexes, its three
 * functions and two triggers.
 */
export function predecessorSchema(metadata: MetadataColumn): string {
  return `
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE conversations (
    id VARCHAR(50) PRIMARY KEY,
    user_id INTEGER NOT NULL,
    title VARCHAR(200) NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT NOW(),
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT NOW(),
    message_count INTEGER DEFAULT 0,
    last_agent_used VARCHAR(50),
    is_active BOOLEAN DEFAULT true,
    ${metadata} JSONB DEFAULT '{}'::jsonb
);

CREATE TABLE messages (
    id VARCHAR(50) PRIMARY KEY,
    conversation_id VARCHAR(50) NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    role VARCHAR(20) NOT NULL CHECK (role IN ('user', 'assistant', 'system')),
    content TEXT NOT NULL,
    agent_used VARCHAR(50),
    routing_info JSONB DEFAULT '{}'::jsonb,
    "references" JSONB DEFAULT '[]'::jsonb,
    timestamp TIMESTAMP WITH TIME ZONE DEFAULT NOW(),
    ${metadata} JSONB DEFAULT '{}'::jsonb
);

CREATE INDEX idx_conversations_user_id ON conversations(user_id);
CREATE INDEX idx_conversations_updated_at ON conversations(updated_at DESC);
CREATE INDEX idx_conversations_active ON conversations(user_id, is_active);
CREATE INDEX idx_messages_conversation_id ON messages(conversation_id);
CREATE INDEX idx_messages_timestamp ON messages(timestamp DESC);
CREATE INDEX idx_messages_conversation_time ON messages(conversation_id, timestamp);
CREATE INDEX idx_messages_agent_used ON messages(agent_used);
CREATE INDEX idx_messages_content_search ON messages USING gin (content gin_trgm_ops);
CREATE INDEX idx_routing_info_complexity ON messages (((routing_info->>'complexity')::float));

CREATE OR REPLACE FUNCTION update_conversation_timestamp() RETURNS TRIGGER AS $$
BEGIN
    UPDATE conversations
    SET updated_at = NOW(), message_count = message_count + 1
    WHERE id = NEW.conversation_id;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER trigger_update_conversation_timestamp
    AFTER INSERT ON messages
    FOR EACH ROW EXECUTE FUNCTION update_conversation_timestamp();

CREATE OR REPLACE FUNCTION generate_conversation_title(first_message TEXT) RETURNS TEXT AS $$
BEGIN
    IF first_message IS NULL OR length(trim(first_message)) = 0 THEN
        RETURN '새 대화';
    END IF;
    IF length(first_message) > 50 THEN
        RETURN substring(first_message FROM 1 FOR 47) || '...';
    END IF;
    RETURN first_message;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION set_conversation_title() RETURNS TRIGGER AS $$
BEGIN
    IF NEW.title IS NULL OR NEW.title = '' THEN
        NEW.title := generate_conversation_title(NEW.${metadata}->>'first_message');
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER trigger_set_conversation_title
    BEFORE INSERT ON conversations
    FOR EACH ROW EXECUTE FUNCTION set_conversation_title();
`;
}

const AGENTS = ['conversation_agent', 'regulation_agent', 'consultation_agent'];
const QUESTIONS = [
  '관세율 조회는 어떻게 하나요?',
  '수입신고서를 작성하는 방법을 알려주세요',
  'FTA 협정세율 적용 조건이 궁금합니다',
  '원산지증명서 발급 절차',
  'HS code 8471 customs duty',
];
const ANSWERS = [
  '관세율은 HS 코드로 조회합니다.',
  '수입신고는 UNI-PASS에서 전자로 신고합니다.',
  'The FTA preferential rate needs a certificate of origin.',
  '원산지증명서는 상공회의소에서 발급받습니다.',
];

/**
 * Fills the predecessor's tables the way it wrote them, corruption included: its code and its
 * trigger both counted every message (`message_count` doubled), about a third of conversations
 * lack their first user message (never stored), and assistant messages keep `routing_info` and
 * `references` inside the metadata column while their own columns hold `{}` and `[]`. Plus its
 * sample rows: `sample_conv_001` (user 1) with `sample_msg_001`, `sample_msg_002` and a
 * `system_init_<epoch>.<frac>` message. Deterministic: the same size gives the same rows.
 */
export async function fillPredecessor(
  client: Client,
  metadata: MetadataColumn,
  size: PredecessorSize,
): Promise<void> {
  // Hash-driven choices, so that the rows are the same on every run and need no client loop.
  const pick = (list: string[], expression: string): string =>
    `(ARRAY[${list.map((item) => `'${item.replace(/'/g, "''")}'`).join(',')}])[1 + (${expression}) % ${list.length}]`;
  await client.query(`
    INSERT INTO conversations (id, user_id, title, created_at, updated_at, message_count, is_active, ${metadata})
    SELECT 'conv_' || substr(md5('c' || c), 1, 12),
           1 + (c - 1) / ${size.conversationsPerUser},
           CASE WHEN c % 7 = 0 THEN '' ELSE ${pick(QUESTIONS, 'c')} END,
           timestamptz '2025-06-01 00:00:00+00' + c * interval '37 minutes',
           timestamptz '2025-06-01 00:00:00+00' + c * interval '37 minutes',
           0,
           c % 19 <> 0,
           jsonb_build_object('first_message', ${pick(QUESTIONS, 'c')}, 'channel', 'web')
    FROM generate_series(1, ${size.users * size.conversationsPerUser}) AS c`);
  // Every message row goes through the trigger (+1), and the predecessor's code added 1 more.
  await client.query(`
    WITH plan AS (
      SELECT c.id AS conversation_id, c.created_at, c.n, i,
             abs(hashtext(c.id || ':' || i)) AS h
      FROM (SELECT id, created_at, row_number() OVER (ORDER BY id) AS n FROM conversations) c,
           generate_series(1, ${size.maxMessages}) AS i
      WHERE i <= abs(hashtext(c.id)) % (${size.maxMessages} + 1)
        -- the lost first message: never stored
        AND NOT (i = 1 AND c.n % 3 = 0)
    )
    INSERT INTO messages (id, conversation_id, role, content, agent_used, routing_info, "references", timestamp, ${metadata})
    SELECT 'msg_' || substr(md5(conversation_id || ':' || i), 1, 12),
           conversation_id,
           CASE WHEN i % 2 = 1 THEN 'user' ELSE 'assistant' END,
           CASE WHEN i % 2 = 1 THEN ${pick(QUESTIONS, 'h')} || ' #' || i ELSE ${pick(ANSWERS, 'h')} || ' #' || i END,
           CASE WHEN i % 2 = 0 AND h % 5 <> 0 THEN ${pick(AGENTS, 'h')} END,
           '{}'::jsonb,
           '[]'::jsonb,
           -- pairs of messages share a timestamp now and then: seq must then follow the id
           created_at + (i - (i % 2) * (h % 2)) * interval '1 minute',
           CASE WHEN i % 2 = 0
             THEN jsonb_build_object(
                    'routing_info', jsonb_build_object('selected_agent', ${pick(AGENTS, 'h')}, 'complexity', (h % 100) / 100.0, 'reasoning', '규정 질문'),
                    'references', jsonb_build_array(jsonb_build_object('source', 'law', 'title', '관세법 제' || (h % 300) || '조', 'similarity', 0.9, 'metadata', '{}'::jsonb)),
                    'tokens', h % 1000)
             ELSE jsonb_build_object('client', 'web')
           END
    FROM plan`);
  await client.query(`
    UPDATE conversations c SET message_count = message_count + s.n
    FROM (SELECT conversation_id, count(*)::int AS n FROM messages GROUP BY conversation_id) s
    WHERE s.conversation_id = c.id`);
  await client.query(`
    INSERT INTO conversations (id, user_id, title, created_at, updated_at, message_count, ${metadata})
    VALUES ('sample_conv_001', 1, '샘플 대화', '2025-05-01 00:00:00+00', '2025-05-01 00:00:00+00', 0, '{"sample": true}');
    INSERT INTO messages (id, conversation_id, role, content, timestamp, ${metadata}) VALUES
      ('system_init_1732000000.123456', 'sample_conv_001', 'system', '시스템이 초기화되었습니다', '2025-05-01 00:00:00+00', '{}'),
      ('sample_msg_001', 'sample_conv_001', 'user', '관세 환급은 어떻게 받나요?', '2025-05-01 00:01:00+00', '{}'),
      ('sample_msg_002', 'sample_conv_001', 'assistant', '관세 환급은 수출 후 신청합니다.', '2025-05-01 00:02:00+00',
       '{"routing_info": {"selected_agent": "consultation_agent", "complexity": 0.2}, "references": []}');`);
  await client.query('ANALYZE');
}
