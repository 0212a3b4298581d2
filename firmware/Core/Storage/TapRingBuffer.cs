namespace Maebashi.Edge.Firmware.Storage
{
    /// <summary>
    /// Taps not yet acknowledged by the host, kept in a flash partition as a ring of fixed 64-byte records.
    ///
    /// Record: [0] 'T' [1] format 1 [2..5] seq [6..13] unix ms [14] door [15] decision [16] flags [17] reason
    /// [18..19] fare [20] uid length [21..30] uid [31..46] SUN e [47..54] SUN c [55..59] zero [60..61] CRC-16/CCITT of
    /// 0..59 [62] commit 0xA5 [63] ack. The SUN bytes count only with flag <see cref="TapFlags.Sun"/>; firmware 1.0 wrote
    /// zeros there and never that flag, so its records read the same under 1.1 (the format number did not change).
    /// A record is written in two steps, body then the commit byte, so a torn write never looks valid; the ack byte is
    /// cleared (0xFF → 0x00) in place once the host acknowledged the tap, which NOR flash allows without an erase.
    /// Sectors are erased only when the ring reaches them again, and only if they hold no pending tap (else: full).
    ///
    /// Shipped partition (hardware/README.md): 256 KiB = 64 sectors of 4 KiB = 4,096 slots; one sector is always the one
    /// being filled, so at least 63 × 64 = 4,032 unacknowledged taps fit.
    /// </summary>
    public sealed class TapRingBuffer
    {
        public const int RecordSize = 64;
        private const byte Magic = 0x54;
        private const byte Format = 1;
        private const byte Committed = 0xA5;
        private const int CrcAt = 60;
        private const int CommitAt = 62;
        private const int AckAt = 63;
        private const int SunEncryptedAt = 31;
        private const int SunMacAt = SunEncryptedAt + TapRecord.SunEncryptedLength;

        private readonly IFlashStorage _flash;
        private readonly byte[] _buf = new byte[RecordSize];
        private readonly byte[] _one = new byte[1];
        private readonly int _slotsPerSector;
        private readonly int _slotCount;
        private readonly TapRecord _scratch = new TapRecord();
        private int _head;
        private int _tail;
        private uint _lastSeq;

        public TapRingBuffer(IFlashStorage flash)
        {
            _flash = flash;
            _slotsPerSector = flash.SectorSize / RecordSize;
            _slotCount = _slotsPerSector * flash.SectorCount;
        }

        /// <summary>Taps written and not yet acknowledged.</summary>
        public int PendingCount { get; private set; }

        /// <summary>The highest sequence number ever written (or the provisioned floor).</summary>
        public uint LastSeq
        {
            get { return _lastSeq; }
        }

        /// <summary>Taps that always fit: every sector but the one being filled.</summary>
        public int Capacity
        {
            get { return (_flash.SectorCount - 1) * _slotsPerSector; }
        }

        /// <summary>Scans the partition after a start or a power cut: finds the newest record, the oldest pending one, and
        /// skips torn slots. Needs no RAM beyond one record.</summary>
        public void Mount()
        {
            int newestSlot = -1;
            uint newestSeq = 0;
            for (int slot = 0; slot < _slotCount; slot++)
            {
                if (ReadSlot(slot, _scratch) && (newestSlot < 0 || _scratch.Seq > newestSeq))
                {
                    newestSeq = _scratch.Seq;
                    newestSlot = slot;
                }
            }

            if (newestSeq > _lastSeq)
            {
                _lastSeq = newestSeq;
            }

            _head = newestSlot < 0 ? 0 : Next(newestSlot);

            // From the head onwards the ring runs oldest to newest: the first pending record is the tail.
            PendingCount = 0;
            _tail = _head;
            bool tailFound = false;
            for (int i = 0; i < _slotCount; i++)
            {
                int slot = (_head + i) % _slotCount;
                if (ReadSlot(slot, _scratch) && IsPending())
                {
                    PendingCount++;
                    if (!tailFound)
                    {
                        _tail = slot;
                        tailFound = true;
                    }
                }
            }
        }

        /// <summary>Raises the sequence floor (provisioning after a mass erase), so numbers are never reused.</summary>
        public void RaiseSeqFloor(uint floor)
        {
            if (floor > _lastSeq)
            {
                _lastSeq = floor;
            }
        }

        /// <summary>Reserves the next sequence number for a tap in progress.</summary>
        public uint NextSeq()
        {
            _lastSeq++;
            return _lastSeq;
        }

        /// <summary>Writes a tap durably. Returns false when the ring is full of unacknowledged taps (nothing is overwritten).</summary>
        public bool TryAppend(TapRecord record)
        {
            if (record.Seq > _lastSeq)
            {
                _lastSeq = record.Seq;
            }

            for (int attempts = 0; attempts <= _slotsPerSector; attempts++)
            {
                int slot = _head;
                if (slot % _slotsPerSector == 0)
                {
                    // The sector about to be erased holds the oldest records: full if the oldest pending tap is among them.
                    if (PendingCount > 0 && PeekOldest(_scratch) && SectorOf(_tail) == SectorOf(slot))
                    {
                        return false;
                    }

                    _flash.EraseSector(SectorOf(slot));
                }

                _head = Next(slot);
                if (!IsBlank(slot))
                {
                    // A torn record from before a power cut: leave it, use the next slot.
                    continue;
                }

                Encode(record, _buf);
                int address = slot * RecordSize;
                _flash.Write(address, _buf, 0, CommitAt);
                _one[0] = Committed;
                _flash.Write(address + CommitAt, _one, 0, 1);
                if (PendingCount == 0)
                {
                    _tail = slot;
                }

                PendingCount++;
                return true;
            }

            return false;
        }

        /// <summary>Reads the oldest pending tap (to send to the host first). False when none is pending.</summary>
        public bool PeekOldest(TapRecord into)
        {
            if (PendingCount == 0)
            {
                return false;
            }

            for (int i = 0; i < _slotCount; i++)
            {
                int slot = (_tail + i) % _slotCount;
                if (i > 0 && slot == _head)
                {
                    break;
                }

                if (ReadSlot(slot, into) && IsPending())
                {
                    _tail = slot;
                    return true;
                }
            }

            PendingCount = 0;
            return false;
        }

        /// <summary>Marks every pending tap with seq ≤ <paramref name="upTo"/> as acknowledged (oldest first).</summary>
        public void AcknowledgeUpTo(uint upTo)
        {
            while (PendingCount > 0 && PeekOldest(_scratch) && _scratch.Seq <= upTo)
            {
                _one[0] = 0x00;
                _flash.Write((_tail * RecordSize) + AckAt, _one, 0, 1);
                PendingCount--;
                _tail = Next(_tail);
            }
        }

        /// <summary>True when the slot holds a committed record with a good CRC (content in <paramref name="into"/>).</summary>
        private bool ReadSlot(int slot, TapRecord into)
        {
            _flash.Read(slot * RecordSize, _buf, 0, RecordSize);
            if (_buf[0] != Magic || _buf[1] != Format || _buf[CommitAt] != Committed)
            {
                return false;
            }

            if (Crc16Ccitt.Compute(_buf, 0, CrcAt) != (ushort)Bytes.GetU16(_buf, CrcAt))
            {
                return false;
            }

            into.Seq = Bytes.GetU32(_buf, 2);
            into.UnixMs = Bytes.GetI64(_buf, 6);
            into.Door = _buf[14];
            into.Decision = (TapDecision)_buf[15];
            into.Flags = (TapFlags)_buf[16];
            into.Reason = (TapReason)_buf[17];
            into.FareYen = Bytes.GetU16(_buf, 18);
            int length = _buf[20];
            into.UidLength = length > TapRecord.MaxUidLength ? TapRecord.MaxUidLength : length;
            for (int i = 0; i < TapRecord.MaxUidLength; i++)
            {
                into.Uid[i] = _buf[21 + i];
            }

            for (int i = 0; i < TapRecord.SunEncryptedLength; i++)
            {
                into.SunEncrypted[i] = _buf[SunEncryptedAt + i];
            }

            for (int i = 0; i < TapRecord.SunMacLength; i++)
            {
                into.SunMac[i] = _buf[SunMacAt + i];
            }

            return true;
        }

        /// <summary>After <see cref="ReadSlot"/>: the ack byte still erased. A torn ack write counts as acknowledged: the host
        /// did acknowledge it.</summary>
        private bool IsPending()
        {
            return _buf[AckAt] == 0xFF;
        }

        private bool IsBlank(int slot)
        {
            _flash.Read(slot * RecordSize, _buf, 0, RecordSize);
            for (int i = 0; i < RecordSize; i++)
            {
                if (_buf[i] != 0xFF)
                {
                    return false;
                }
            }

            return true;
        }

        private static void Encode(TapRecord r, byte[] b)
        {
            Bytes.Fill(b, 0, RecordSize, 0);
            b[0] = Magic;
            b[1] = Format;
            Bytes.PutU32(b, 2, r.Seq);
            Bytes.PutI64(b, 6, r.UnixMs);
            b[14] = r.Door;
            b[15] = (byte)r.Decision;
            b[16] = (byte)r.Flags;
            b[17] = (byte)r.Reason;
            Bytes.PutU16(b, 18, r.FareYen);
            b[20] = (byte)r.UidLength;
            for (int i = 0; i < TapRecord.MaxUidLength; i++)
            {
                b[21 + i] = i < r.UidLength ? r.Uid[i] : (byte)0;
            }

            if (r.HasSun)
            {
                for (int i = 0; i < TapRecord.SunEncryptedLength; i++)
                {
                    b[SunEncryptedAt + i] = r.SunEncrypted[i];
                }

                for (int i = 0; i < TapRecord.SunMacLength; i++)
                {
                    b[SunMacAt + i] = r.SunMac[i];
                }
            }

            Bytes.PutU16(b, CrcAt, Crc16Ccitt.Compute(b, 0, CrcAt));
            b[CommitAt] = 0xFF;
            b[AckAt] = 0xFF;
        }

        private int Next(int slot)
        {
            return (slot + 1) % _slotCount;
        }

        private int SectorOf(int slot)
        {
            return slot / _slotsPerSector;
        }
    }
}
