using Maebashi.Edge.Firmware.IsoDep;

namespace Maebashi.Edge.Firmware.Mfrc522
{
    /// <summary>Outcome of one attempt to read a card.</summary>
    public enum CardReadStatus : byte
    {
        NoCard = 0,
        Card = 1,

        /// <summary>A card answered but the exchange failed (collision not resolved, CRC or BCC wrong, card left mid-way).</summary>
        Error = 2,

        /// <summary>The chip did not answer (VersionReg unreadable or a command never completed): re-initialise it.</summary>
        ChipNotAnswering = 3,
    }

    /// <summary>Outcome of one transceive.</summary>
    public enum TransceiveStatus : byte
    {
        Ok = 0,
        Timeout = 1,
        Collision = 2,
        Error = 3,
        ChipNotAnswering = 4,
    }

    /// <summary>
    /// A driver of the NXP MFRC522 for ISO/IEC 14443 Type A (datasheet rev. 3.9), written for the validator so it owns
    /// every byte it sends: REQA/WUPA, anticollision and select over cascade levels 1–3 (ISO/IEC 14443-3 section 6.5),
    /// CRC_A on the chip's coprocessor, the chip's timer as the receive timeout, antenna gain, and re-initialisation when
    /// the chip stops answering. As an <see cref="IFrameTransceiver"/> it moves the frames of ISO/IEC 14443-4 (RATS,
    /// blocks) for <see cref="IsoDepSession"/>, which the chip does not run itself. Allocation-free after construction.
    /// </summary>
    public sealed class Mfrc522Driver : IFrameTransceiver
    {
        /// <summary>VersionReg values of working chips (9.3.4.8): 0x91 v1.0, 0x92 v2.0, 0x88 and 0xB2 FM17522 clones, 0x12 a common clone.</summary>
        private static readonly byte[] KnownVersions = new byte[] { 0x91, 0x92, 0x88, 0xB2, 0x12 };

        /// <summary>Polls of ComIrqReg before a command counts as never completed. The chip's timer fires after 25 ms; at the
        /// ~20 µs a register read takes on a 1 MHz SPI this is ~40 ms, so reaching it means the chip is not running.</summary>
        private const int MaxIrqPolls = 2000;

        private const byte Reqa = 0x26;
        private const byte Wupa = 0x52;
        private const byte HltA = 0x50;
        private const byte CascadeTag = 0x88;
        private const byte SakCascadeBit = 0x04;

        /// <summary>The chip's FIFO (8.3): a frame with its CRC_A must fit, as must the answer (the session's FSD is 64).</summary>
        public const int FifoSize = 64;

        /// <summary>The timer runs at 13.56 MHz / (2 · 0x0A9 + 1) = 40 kHz: 40 ticks per millisecond (8.5).</summary>
        private const int TimerTicksPerMs = 40;

        /// <summary>The receive timeout of REQA, anticollision, SELECT and HLTA: 25 ms (1000 ticks).</summary>
        private const int DefaultTimeoutTicks = 1000;

        private readonly IRegisterBus _bus;
        private readonly IChipResetLine? _resetLine;
        private readonly byte[] _tx = new byte[9];
        private readonly byte[] _rx = new byte[FifoSize];
        private readonly byte[] _frame = new byte[FifoSize];
        private readonly byte[] _crc = new byte[2];
        private int _timeoutTicks = -1;
        private AntennaGain _gain;
        private int _rxLength;
        private int _rxLastBits;

        /// <summary><paramref name="resetLine"/> may be null when NRSTPD is not wired (soft reset only).</summary>
        public Mfrc522Driver(IRegisterBus bus, AntennaGain gain, IChipResetLine? resetLine)
        {
            _bus = bus;
            _gain = gain;
            _resetLine = resetLine;
        }

        public Mfrc522Driver(IRegisterBus bus, AntennaGain gain)
            : this(bus, gain, null)
        {
        }

        /// <summary>Reset pulses on NRSTPD after a soft reset did not bring the chip back.</summary>
        public int HardResets { get; private set; }

        /// <summary>VersionReg as last read at initialisation (0 when the chip did not answer).</summary>
        public byte Version { get; private set; }

        /// <summary>How many times the chip was re-initialised after it stopped answering or lost its configuration.</summary>
        public int Reinitialisations { get; private set; }

        /// <summary>True after an initialisation that found a chip; false while it does not answer.</summary>
        public bool ChipPresent { get; private set; }

        public AntennaGain Gain
        {
            get { return _gain; }
            set
            {
                _gain = value;
                WriteGain();
            }
        }

        /// <summary>Soft reset and configuration (datasheet 10.3.1.10 SoftReset, 8.5 timer, 9.3.2.2 ModeReg, 9.3.2.6 TxASKReg,
        /// 9.3.3.6 RFCfgReg, 9.3.2.5 TxControlReg). Returns false when the chip does not answer.</summary>
        public bool Initialize()
        {
            _bus.Write(Register.Command, (byte)PcdCommand.SoftReset);

            // The oscillator restarts after a soft reset; PowerDown reads 1 until the chip is ready again (10.3.1.10).
            int polls = 0;
            while ((_bus.Read(Register.Command) & (byte)CommandBits.PowerDown) != 0)
            {
                if (++polls > MaxIrqPolls)
                {
                    ChipPresent = false;
                    Version = 0;
                    return false;
                }
            }

            Version = _bus.Read(Register.Version);
            if (!IsKnownVersion(Version))
            {
                ChipPresent = false;
                return false;
            }

            _bus.Write(Register.TxMode, 0x00);
            _bus.Write(Register.RxMode, 0x00);
            _bus.Write(Register.ModWidth, 0x26);

            ConfigureTimer();

            // 100 % ASK as ISO/IEC 14443 Type A needs (9.3.2.6); CRC preset 0x6363 = CRC_A (9.3.2.2).
            _bus.Write(Register.TxAsk, 0x40);
            _bus.Write(Register.Mode, 0x3D);
            WriteGain();
            AntennaOn();
            ChipPresent = true;
            return true;
        }

        /// <summary>
        /// The chip's timer as this driver uses it (8.5): TAuto (it starts at the end of each transmission), prescaler 0x0A9 →
        /// 13.56 MHz / (2·169 + 1) = 40 kHz, reload 1000 → a 25 ms receive timeout; each ISO-DEP frame sets its own reload.
        /// </summary>
        private void ConfigureTimer()
        {
            _bus.Write(Register.TMode, 0x80);
            _bus.Write(Register.TPrescaler, 0xA9);
            _timeoutTicks = -1;
            SetTimeout(DefaultTimeoutTicks);
        }

        /// <summary>
        /// Takes over a chip another driver initialised and configured (the Pi's Iot.Device binding, which scans): no soft
        /// reset, only the timer set as this driver's receive timeout. Then <see cref="Transceive(byte[], int, byte[], int)"/>
        /// moves frames for <see cref="IsoDepSession"/>; the caller gives the timer registers back afterwards.
        /// </summary>
        public void UseConfiguredChip()
        {
            ChipPresent = true;
            ConfigureTimer();
        }

        /// <summary>Checks the chip still answers and still holds its configuration (a brown-out resets it to antenna off).
        /// Re-initialises when not; returns whether the chip is usable.</summary>
        public bool EnsureHealthy()
        {
            if (ChipPresent && IsKnownVersion(_bus.Read(Register.Version))
                && (_bus.Read(Register.TxControl) & 0x03) == 0x03 && _bus.Read(Register.TMode) == 0x80)
            {
                return true;
            }

            return Reinitialise();
        }

        /// <summary>Soft reset + initialisation after the chip stopped answering; if the chip still does not answer and the
        /// reset line is wired, a hard reset pulse and initialisation again.</summary>
        public bool Reinitialise()
        {
            Reinitialisations++;
            if (Initialize())
            {
                return true;
            }

            if (_resetLine == null)
            {
                return false;
            }

            _resetLine.Pulse();
            HardResets++;
            return Initialize();
        }

        public void AntennaOn()
        {
            byte value = _bus.Read(Register.TxControl);
            if ((value & 0x03) != 0x03)
            {
                _bus.Write(Register.TxControl, (byte)(value | (byte)(TxControlBits.Tx1RfEn | TxControlBits.Tx2RfEn)));
            }
        }

        public void AntennaOff()
        {
            byte value = _bus.Read(Register.TxControl);
            _bus.Write(Register.TxControl, (byte)(value & 0xFC));
        }

        /// <summary>Looks for one card: REQA (or WUPA to wake halted cards), then anticollision and select through the
        /// cascade levels; writes the 4-, 7- or 10-byte UID to <paramref name="uid"/> and HLTAs the card so it is not
        /// read again until it leaves the field.</summary>
        public CardReadStatus TryReadCard(bool wakeHalted, byte[] uid, out int uidLength, out byte sak)
        {
            CardReadStatus status = TrySelectCard(wakeHalted, uid, out uidLength, out sak);
            if (status == CardReadStatus.Card)
            {
                Halt();
            }

            return status;
        }

        /// <summary>As <see cref="TryReadCard"/> but leaves the card selected (ACTIVE), so the caller can go on to RATS
        /// (<see cref="IsoDepSession.Activate"/>) when the SAK says ISO/IEC 14443-4; the caller ends with <see cref="Halt"/>
        /// or S(DESELECT).</summary>
        public CardReadStatus TrySelectCard(bool wakeHalted, byte[] uid, out int uidLength, out byte sak)
        {
            uidLength = 0;
            sak = 0;
            if (!ChipPresent)
            {
                return CardReadStatus.ChipNotAnswering;
            }

            // REQA/WUPA are short frames of 7 bits (ISO/IEC 14443-3 6.3.1); the answer is the 2-byte ATQA.
            _tx[0] = wakeHalted ? Wupa : Reqa;
            TransceiveStatus status = Transceive(_tx, 1, 7, 0, DefaultTimeoutTicks);
            if (status == TransceiveStatus.ChipNotAnswering)
            {
                return CardReadStatus.ChipNotAnswering;
            }

            if (status == TransceiveStatus.Timeout)
            {
                return CardReadStatus.NoCard;
            }

            // Several cards answering REQA at once collide in the ATQA; anticollision below sorts them out.
            if ((status != TransceiveStatus.Ok && status != TransceiveStatus.Collision) || (status == TransceiveStatus.Ok && _rxLength != 2))
            {
                return CardReadStatus.Error;
            }

            for (int level = 1; level <= 3; level++)
            {
                CardReadStatus selected = SelectCascadeLevel(level, uid, ref uidLength, out sak);
                if (selected != CardReadStatus.Card)
                {
                    return selected;
                }

                if ((sak & SakCascadeBit) == 0)
                {
                    return CardReadStatus.Card;
                }
            }

            // SAK still says "UID not complete" after level 3: not a valid ISO/IEC 14443-3 card.
            uidLength = 0;
            return CardReadStatus.Error;
        }

        /// <summary>HLTA (ISO/IEC 14443-3 6.3.3): the card answers nothing, so a timeout is success.</summary>
        public void Halt()
        {
            _tx[0] = HltA;
            _tx[1] = 0x00;
            if (!CalculateCrc(_tx, 0, 2, _tx, 2))
            {
                return;
            }

            Transceive(_tx, 4, 0, 0, DefaultTimeoutTicks);
        }

        /// <summary>CRC_A on the chip's coprocessor (10.3.1.4 CalcCRC, DivIrqReg CRCIRq). Returns false when it never completes.</summary>
        public bool CalculateCrc(byte[] data, int offset, int count, byte[] result, int resultOffset)
        {
            _bus.Write(Register.Command, (byte)PcdCommand.Idle);
            _bus.Write(Register.DivIrq, (byte)DivIrqBits.CrcIrq);
            _bus.Write(Register.FifoLevel, (byte)FifoLevelBits.FlushBuffer);
            _bus.WriteFifo(data, offset, count);
            _bus.Write(Register.Command, (byte)PcdCommand.CalcCrc);
            for (int polls = 0; polls < MaxIrqPolls; polls++)
            {
                if ((_bus.Read(Register.DivIrq) & (byte)DivIrqBits.CrcIrq) != 0)
                {
                    _bus.Write(Register.Command, (byte)PcdCommand.Idle);
                    result[resultOffset] = _bus.Read(Register.CrcResultL);
                    result[resultOffset + 1] = _bus.Read(Register.CrcResultH);
                    return true;
                }
            }

            return false;
        }

        /// <summary>
        /// One ISO/IEC 14443-4 frame to the selected card (<see cref="IFrameTransceiver"/>): CRC_A appended on the
        /// coprocessor, the timer set to <paramref name="timeoutMs"/> (at most ~1.6 s), the answer's CRC_A checked and
        /// removed. -1 on a timeout, a CRC or framing error, a frame longer than the FIFO, or a chip that stopped answering.
        /// </summary>
        public int Transceive(byte[] frame, int length, byte[] answer, int timeoutMs)
        {
            if (!ChipPresent || length < 1 || length + 2 > FifoSize)
            {
                return -1;
            }

            for (int i = 0; i < length; i++)
            {
                _frame[i] = frame[i];
            }

            if (!CalculateCrc(_frame, 0, length, _frame, length))
            {
                return -1;
            }

            long ticks = (long)timeoutMs * TimerTicksPerMs;
            TransceiveStatus status = Transceive(_frame, length + 2, 0, 0, ticks > 0xFFFF ? 0xFFFF : (ticks < 1 ? 1 : (int)ticks));
            if (status != TransceiveStatus.Ok || _rxLength < 3 || _rxLastBits != 0)
            {
                return -1;
            }

            int n = _rxLength - 2;
            if (n > answer.Length || !CalculateCrc(_rx, 0, n, _crc, 0) || _crc[0] != _rx[n] || _crc[1] != _rx[n + 1])
            {
                return -1;
            }

            for (int i = 0; i < n; i++)
            {
                answer[i] = _rx[i];
            }

            return n;
        }

        /// <summary>One anticollision loop and SELECT at a cascade level (ISO/IEC 14443-3 6.5.3, 6.5.4). Appends the level's
        /// UID bytes to <paramref name="uid"/>.</summary>
        private CardReadStatus SelectCascadeLevel(int level, byte[] uid, ref int uidLength, out byte sak)
        {
            sak = 0;
            byte sel = level == 1 ? (byte)0x93 : level == 2 ? (byte)0x95 : (byte)0x97;

            // _tx: [SEL, NVB, CL0..CL3, BCC, CRC, CRC]
            int knownBits = 0;
            Bytes.Fill(_tx, 2, 5, 0);
            for (int round = 0; round < 33; round++)
            {
                int fullBytes = knownBits / 8;
                int lastBits = knownBits % 8;
                _tx[0] = sel;
                _tx[1] = (byte)(((2 + fullBytes) << 4) | lastBits);

                // Bits after a collision are cleared so the next round's mask is clean (9.3.1.15 ValuesAfterColl).
                _bus.Write(Register.Coll, (byte)(_bus.Read(Register.Coll) & ~(byte)CollBits.ValuesAfterColl));
                TransceiveStatus status = Transceive(_tx, 2 + fullBytes + (lastBits != 0 ? 1 : 0), lastBits, lastBits, DefaultTimeoutTicks);
                if (status == TransceiveStatus.ChipNotAnswering)
                {
                    return CardReadStatus.ChipNotAnswering;
                }

                if (status == TransceiveStatus.Timeout)
                {
                    return CardReadStatus.NoCard;
                }

                if (status == TransceiveStatus.Error)
                {
                    return CardReadStatus.Error;
                }

                // Merge the answer into the known bytes: its first byte shares bits with the last partial byte (RxAlign).
                int at = 2 + fullBytes;
                for (int i = 0; i < _rxLength && at + i < 7; i++)
                {
                    byte value = _rx[i];
                    if (i == 0 && lastBits != 0)
                    {
                        byte mask = (byte)(0xFF << lastBits);
                        value = (byte)((_tx[at] & ~mask) | (value & mask));
                    }

                    _tx[at + i] = value;
                }

                if (status == TransceiveStatus.Collision)
                {
                    byte coll = _bus.Read(Register.Coll);
                    if ((coll & (byte)CollBits.CollPosNotValid) != 0)
                    {
                        return CardReadStatus.Error;
                    }

                    int position = coll & (byte)CollBits.CollPosMask;
                    if (position == 0)
                    {
                        position = 32;
                    }

                    if (position <= knownBits)
                    {
                        return CardReadStatus.Error;
                    }

                    // Choose the card whose bit at the collision is 1; the others stay silent from here.
                    knownBits = position;
                    int bitIndex = (knownBits - 1) % 8;
                    int byteIndex = 2 + ((knownBits - 1) / 8);
                    _tx[byteIndex] = (byte)(_tx[byteIndex] | (1 << bitIndex));
                    continue;
                }

                knownBits = 40;
                break;
            }

            if (knownBits != 40 || (byte)(_tx[2] ^ _tx[3] ^ _tx[4] ^ _tx[5]) != _tx[6])
            {
                return CardReadStatus.Error;
            }

            // SELECT: NVB 0x70 (all 40 bits), CRC_A appended (6.5.3.2).
            _tx[1] = 0x70;
            if (!CalculateCrc(_tx, 0, 7, _tx, 7))
            {
                return CardReadStatus.ChipNotAnswering;
            }

            TransceiveStatus selected = Transceive(_tx, 9, 0, 0, DefaultTimeoutTicks);
            if (selected == TransceiveStatus.ChipNotAnswering)
            {
                return CardReadStatus.ChipNotAnswering;
            }

            if (selected != TransceiveStatus.Ok)
            {
                return selected == TransceiveStatus.Timeout ? CardReadStatus.NoCard : CardReadStatus.Error;
            }

            if (_rxLength != 3 || _rxLastBits != 0)
            {
                return CardReadStatus.Error;
            }

            // The SAK carries its own CRC_A: check it on the coprocessor.
            if (!CalculateCrc(_rx, 0, 1, _crc, 0))
            {
                return CardReadStatus.ChipNotAnswering;
            }

            if (_crc[0] != _rx[1] || _crc[1] != _rx[2])
            {
                return CardReadStatus.Error;
            }

            sak = _rx[0];
            bool more = (sak & SakCascadeBit) != 0;
            if (more && _tx[2] != CascadeTag)
            {
                return CardReadStatus.Error;
            }

            int from = more ? 3 : 2;
            for (int i = from; i < 6; i++)
            {
                if (uidLength >= uid.Length)
                {
                    return CardReadStatus.Error;
                }

                uid[uidLength++] = _tx[i];
            }

            return CardReadStatus.Card;
        }

        /// <summary>Transceive (10.3.1.8): FIFO out, wait for RxIRq/IdleIRq or the timer, FIFO in (to _rx).</summary>
        private TransceiveStatus Transceive(byte[] data, int count, int txLastBits, int rxAlign, int timeoutTicks)
        {
            _rxLength = 0;
            _rxLastBits = 0;
            SetTimeout(timeoutTicks);
            _bus.Write(Register.Command, (byte)PcdCommand.Idle);
            _bus.Write(Register.ComIrq, (byte)ComIrqBits.All);
            _bus.Write(Register.FifoLevel, (byte)FifoLevelBits.FlushBuffer);
            _bus.WriteFifo(data, 0, count);
            byte framing = (byte)(((rxAlign << 4) & (byte)BitFramingBits.RxAlignMask) | (txLastBits & (byte)BitFramingBits.TxLastBitsMask));
            _bus.Write(Register.BitFraming, framing);
            _bus.Write(Register.Command, (byte)PcdCommand.Transceive);
            _bus.Write(Register.BitFraming, (byte)(framing | (byte)BitFramingBits.StartSend));

            byte irq = 0;
            bool done = false;
            for (int polls = 0; polls < MaxIrqPolls; polls++)
            {
                irq = _bus.Read(Register.ComIrq);
                if ((irq & (byte)(ComIrqBits.RxIrq | ComIrqBits.IdleIrq | ComIrqBits.TimerIrq | ComIrqBits.ErrIrq)) != 0)
                {
                    done = true;
                    break;
                }
            }

            _bus.Write(Register.BitFraming, 0x00);
            if (!done)
            {
                return ChipCheck(TransceiveStatus.ChipNotAnswering);
            }

            byte error = _bus.Read(Register.Error);
            if ((error & (byte)(ErrorBits.BufferOvfl | ErrorBits.ParityErr | ErrorBits.ProtocolErr)) != 0)
            {
                return ChipCheck(TransceiveStatus.Error);
            }

            if ((irq & (byte)(ComIrqBits.RxIrq | ComIrqBits.IdleIrq)) == 0 && (irq & (byte)ComIrqBits.TimerIrq) != 0)
            {
                return TransceiveStatus.Timeout;
            }

            int level = _bus.Read(Register.FifoLevel) & (byte)FifoLevelBits.LevelMask;
            if (level > _rx.Length)
            {
                return ChipCheck(TransceiveStatus.Error);
            }

            if (level == 0 && (irq & (byte)ComIrqBits.RxIrq) == 0)
            {
                return TransceiveStatus.Timeout;
            }

            _bus.ReadFifo(_rx, 0, level);
            _rxLength = level;
            _rxLastBits = _bus.Read(Register.Control) & 0x07;
            if ((error & (byte)ErrorBits.CollErr) != 0)
            {
                return TransceiveStatus.Collision;
            }

            return TransceiveStatus.Ok;
        }

        /// <summary>A failed command may mean the chip went away (MISO stuck at 0x00 or 0xFF reads as odd IRQ/error bits):
        /// VersionReg tells the two apart.</summary>
        private TransceiveStatus ChipCheck(TransceiveStatus failure)
        {
            if (!IsKnownVersion(_bus.Read(Register.Version)))
            {
                ChipPresent = false;
                return TransceiveStatus.ChipNotAnswering;
            }

            return failure == TransceiveStatus.ChipNotAnswering ? TransceiveStatus.Error : failure;
        }

        /// <summary>TReload (8.5) in 25 µs ticks; written only when it changes, so the anticollision loop costs no extra writes.</summary>
        private void SetTimeout(int ticks)
        {
            if (ticks == _timeoutTicks)
            {
                return;
            }

            _bus.Write(Register.TReloadH, (byte)(ticks >> 8));
            _bus.Write(Register.TReloadL, (byte)ticks);
            _timeoutTicks = ticks;
        }

        private void WriteGain()
        {
            // RxGain occupies RFCfgReg bits 6:4; the other bits are reserved (9.3.3.6).
            _bus.Write(Register.RfCfg, (byte)((byte)_gain & 0x70));
        }

        private static bool IsKnownVersion(byte version)
        {
            for (int i = 0; i < KnownVersions.Length; i++)
            {
                if (KnownVersions[i] == version)
                {
                    return true;
                }
            }

            return false;
        }
    }
}
