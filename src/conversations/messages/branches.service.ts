import { BadRequestException, Injectable } from '@nestjs/common';
import { Transactional } from '@nestjs-cls/transactional';
import type { Conversation } from '../conversation.entity';
import type { ConversationWithRecentMessages } from '../conversation.responses';
import { ConversationsService } from '../conversations.service';
import { BranchesRepository } from './branches.repository';
import { NEW_ROOT, type BranchPoint } from './new-messages';

/** Where an append's first message goes, and how many siblings it joins there. */
export interface AppendPlace {
  follows: BranchPoint;
  siblingsBefore: number;
}

/** One answer for an unknown message, another conversation's and another user's alike. */
const notAMessageOfIt = (field: string): BadRequestException =>
  new BadRequestException(`${field} is not a message of this conversation`);

/**
 * The active branch of a conversation: where appends attach, and the head a client moves. Every
 * method runs in the caller's transaction, after the conversation's row lock (the seq claim, or
 * `lockActive`), so that concurrent writers move one conversation's branch one at a time.
 */
@Injectable()
export class BranchesService {
  constructor(
    private readonly conversations: ConversationsService,
    private readonly tree: BranchesRepository,
  ) {}

  /**
   * For an append whose seq is claimed: without `parentId`, after the head (nothing else moves);
   * with a message of the conversation, after it, its path becoming the active branch; with null,
   * as a new root. 400 for any other `parentId`.
   */
  async placeAppend(
    conversation: Conversation,
    parentId: string | null | undefined,
  ): Promise<AppendPlace> {
    const head = await this.linkedHead(conversation);
    if (parentId === undefined || (parentId !== null && parentId === head.id)) {
      // The head is always a leaf: what follows it is its only child.
      return { follows: head, siblingsBefore: 0 };
    }
    let follows = NEW_ROOT;
    if (parentId !== null) {
      const parent = await this.tree.find(conversation, parentId);
      if (!parent || parent.depth === null) throw notAMessageOfIt('parent_id');
      follows = { id: parent.id, depth: parent.depth };
    }
    await this.tree.activatePath(conversation, follows.id);
    return { follows, siblingsBefore: await this.tree.childCount(conversation, follows.id) };
  }

  /**
   * `PUT /:id/head`: the active branch becomes the one through `messageId`, down to its newest
   * descendant. Rewrites only the messages that leave or join the branch.
   */
  @Transactional()
  async moveHead(
    userId: number,
    conversationId: string,
    messageId: string,
  ): Promise<ConversationWithRecentMessages> {
    const conversation = await this.conversations.lockActive(userId, conversationId);
    const head = await this.linkedHead(conversation);
    const target = await this.tree.find(conversation, messageId);
    if (!target) throw notAMessageOfIt('message_id');
    const tip =
      target.id === head.id ? head.id : await this.tree.newestDescendant(conversation, target.id);
    if (tip !== head.id) {
      await this.tree.activatePath(conversation, tip);
      await this.conversations.setHead(conversation, tip);
    }
    return this.conversations.getWithRecentMessages(userId, conversationId);
  }

  /**
   * The length of the active branch, what a pager of it needs: the head's depth. Before a
   * conversation's first append links rows written without the tree, its `message_count`.
   */
  async activeLength(conversation: Conversation): Promise<number> {
    if (conversation.headMessageId === null) return conversation.messageCount;
    const head = await this.tree.find(conversation, conversation.headMessageId);
    return head?.depth ?? conversation.messageCount;
  }

  /**
   * The head, once the rows written without the tree (by an older version, an import, by hand)
   * are linked after it, as the linear history their writer saw; the head moves to the last.
   */
  private async linkedHead(conversation: Conversation): Promise<BranchPoint> {
    const { headDepth, unlinkedTail } = await this.tree.headState(
      conversation,
      conversation.headMessageId,
    );
    const head: BranchPoint =
      conversation.headMessageId !== null && headDepth !== null
        ? { id: conversation.headMessageId, depth: headDepth }
        : NEW_ROOT;
    if (!unlinkedTail) return head;
    const tip = await this.tree.linkAfter(conversation, head);
    if (tip.id !== null) await this.conversations.setHead(conversation, tip.id);
    return tip;
  }
}
