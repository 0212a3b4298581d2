using Maebashi.Edge.Firmware.IsoDep;
using Maebashi.Edge.Firmware.Link;
using Maebashi.Edge.Firmware.Mfrc522;
using Maebashi.Edge.Firmware.Storage;

namespace Maebashi.Edge.Firmware.Taps
{
    /// <summary>State of the tap loop.</summary>
    public enum TapLoopState : byte
    {
        Looking = 0,
        AwaitingVerdict = 1,
        ChipFault = 2,
    }

    /// <summary>
    /// One card at a time: look for a card every <see cref="PollIntervalMs"/>; a card seen again within the repeat window
    /// gets the same feedback and no new tap; otherwise ask the host for a verdict and wait at most the verdict timeout
    /// (100 ms), then accept on its own and flag the tap offline. The tap is written to flash before the passenger sees or
    /// hears anything (docs/contract.md §4). A 7-byte ISO/IEC 14443-4 card (an NTAG 424 DNA city card) is read for its SUN
    /// message before the host is asked, through the core's own block protocol over the chip's transceive; the validator
    /// holds no key and only copies what the card mirrored. Non-blocking: the board calls <see cref="Step"/> in its main
    /// loop. Allocation-free.
    /// </summary>
    public sealed class TapLoop
    {
        /// <summary>How often the reader looks for a card: the first part of the passenger's wait.</summary>
        public const int PollIntervalMs = 20;
        public const int HealthCheckIntervalMs = 1000;

        private readonly Mfrc522Driver _reader;
        private readonly TapRingBuffer _ring;
        private readonly ValidatorLink _link;
        private readonly ValidatorSettings _settings;
        private readonly IClock _clock;
        private readonly FeedbackPlayer _feedback;
        private readonly RepeatWindow _repeats = new RepeatWindow(10000);
        private readonly TapRecord _tap = new TapRecord();
        private readonly byte[] _uid = new byte[TapRecord.MaxUidLength];
        private readonly IsoDepSession _isoDep;
        private readonly SunMessageReader _sunReader = new SunMessageReader();
        private readonly byte[] _sunEncrypted = new byte[TapRecord.SunEncryptedLength];
        private readonly byte[] _sunMac = new byte[TapRecord.SunMacLength];
        private long _nextPollAt;
        private long _nextHealthAt;
        private long _askedAt;

        public TapLoop(Mfrc522Driver reader, TapRingBuffer ring, ValidatorLink link, ValidatorSettings settings, IClock clock, FeedbackPlayer feedback)
        {
            _reader = reader;
            _ring = ring;
            _link = link;
            _settings = settings;
            _clock = clock;
            _feedback = feedback;
            _isoDep = new IsoDepSession(reader);
        }

        /// <summary>SAK bit 6 (ISO/IEC 14443-3 6.5.3.4): the card speaks ISO/IEC 14443-4.</summary>
        private const byte SakIsoDep = 0x20;

        /// <summary>An NTAG 424 DNA has a 7-byte UID; only such cards are asked for a SUN message.</summary>
        private const int SunUidLength = 7;

        /// <summary>Reads that started a SUN read and lost the card mid-way: no tap, the next poll reads the card again.</summary>
        public int SunReadsBroken { get; private set; }

        public TapLoopState State { get; private set; }

        /// <summary>Taps recorded since start (accepted, accepted offline or denied).</summary>
        public int TapsRecorded { get; private set; }

        /// <summary>Repeat taps suppressed within the window.</summary>
        public int RepeatsSuppressed { get; private set; }

        /// <summary>The last recorded tap (for the simulator's display and tests).</summary>
        public TapRecord LastTap
        {
            get { return _tap; }
        }

        public void Step()
        {
            long now = _clock.MonotonicMs;
            _feedback.Step(now);
            if (State == TapLoopState.AwaitingVerdict)
            {
                if (_link.HasVerdict && _link.VerdictSeq == _tap.Seq)
                {
                    Finish(_link.VerdictDecision, _link.VerdictReason, _link.VerdictFareYen, TapFlags.None, now);
                }
                else if (now - _askedAt >= _link.VerdictTimeoutMs)
                {
                    Finish(TapDecision.Accept, TapReason.None, 0, TapFlags.Offline, now);
                }

                return;
            }

            if (_link.RequestedGain >= 0)
            {
                _reader.Gain = (AntennaGain)_link.RequestedGain;
                _link.RequestedGain = -1;
            }

            if (State == TapLoopState.ChipFault && now < _nextHealthAt)
            {
                return;
            }

            if (now >= _nextHealthAt)
            {
                _nextHealthAt = now + HealthCheckIntervalMs;
                bool healthy = _reader.EnsureHealthy();
                _link.ChipOk = healthy;
                if (!healthy)
                {
                    // Blink red every second for as long as the reader is out of order.
                    _feedback.Play(FeedbackPattern.OutOfService, now);
                    State = TapLoopState.ChipFault;
                    return;
                }

                State = TapLoopState.Looking;
            }

            if (now < _nextPollAt)
            {
                return;
            }

            _nextPollAt = now + PollIntervalMs;
            int length;
            byte sak;
            CardReadStatus status = _reader.TrySelectCard(false, _uid, out length, out sak);
            if (status == CardReadStatus.ChipNotAnswering)
            {
                // Soft reset and configure again at once; if that fails the health check retries every second.
                bool back = _reader.Reinitialise();
                _link.ChipOk = back;
                if (!back)
                {
                    State = TapLoopState.ChipFault;
                    _nextHealthAt = now + HealthCheckIntervalMs;
                    _feedback.Play(FeedbackPattern.OutOfService, now);
                }

                return;
            }

            if (status != CardReadStatus.Card)
            {
                return;
            }

            _repeats.WindowMs = _link.RepeatWindowMs;
            FeedbackPattern previous;
            if (_repeats.IsRepeat(_uid, length, now, out previous))
            {
                _reader.Halt();
                RepeatsSuppressed++;
                _feedback.Play(previous, now);
                return;
            }

            bool sun = false;
            if (length == SunUidLength && (sak & SakIsoDep) != 0 && _isoDep.Activate())
            {
                // Read aside: the last tap's record stays whole if this read breaks off.
                sun = _sunReader.TryRead(_isoDep, _sunEncrypted, _sunMac);
                if (!sun && !_isoDep.Active)
                {
                    // The card left (or garbled its answers) during the read: not a tap. A genuine card that came back
                    // without its message would look like a copy of its UID at the ingest; the passenger sees no light
                    // and taps again.
                    SunReadsBroken++;
                    return;
                }

                // S(DESELECT) halts the card as HLTA does: it is not read again until it leaves the field.
                _isoDep.Deselect();
            }
            else
            {
                _reader.Halt();
            }

            _tap.Seq = _ring.NextSeq();
            _tap.UnixMs = _link.ClockSynced ? now + _link.UnixOffsetMs : _clock.UnixMs;
            _tap.Door = _settings.Door;
            _tap.Decision = TapDecision.None;
            _tap.Flags = sun ? TapFlags.Sun : TapFlags.None;
            _tap.Reason = TapReason.None;
            _tap.FareYen = 0;
            _tap.UidLength = length;
            for (int i = 0; i < TapRecord.SunEncryptedLength; i++)
            {
                _tap.SunEncrypted[i] = sun ? _sunEncrypted[i] : (byte)0;
            }

            for (int i = 0; i < TapRecord.SunMacLength; i++)
            {
                _tap.SunMac[i] = sun ? _sunMac[i] : (byte)0;
            }

            for (int i = 0; i < TapRecord.MaxUidLength; i++)
            {
                _tap.Uid[i] = i < length ? _uid[i] : (byte)0;
            }

            _link.BeginAsk(_tap);
            _askedAt = now;
            State = TapLoopState.AwaitingVerdict;
        }

        private void Finish(TapDecision decision, TapReason reason, int fareYen, TapFlags flags, long now)
        {
            _link.EndAsk();
            State = TapLoopState.Looking;
            _tap.Decision = decision == TapDecision.Deny ? TapDecision.Deny : TapDecision.Accept;
            _tap.Reason = reason;
            _tap.FareYen = fareYen;
            _tap.Flags = flags | (_tap.Flags & TapFlags.Sun) | (_link.ClockSynced ? TapFlags.None : TapFlags.ClockUnsynced);

            // Durable before feedback: if flash is full of unacknowledged taps the tap cannot be kept, so it is refused.
            FeedbackPattern pattern;
            if (!_ring.TryAppend(_tap))
            {
                _link.StorageFull = true;
                _tap.Decision = TapDecision.Deny;
                _tap.Reason = TapReason.StorageFull;
                pattern = FeedbackPattern.OutOfService;
            }
            else
            {
                _link.StorageFull = false;
                TapsRecorded++;
                pattern = _tap.Decision == TapDecision.Deny ? FeedbackPattern.Deny
                    : (flags & TapFlags.Offline) != 0 ? FeedbackPattern.AcceptOffline : FeedbackPattern.Accept;
            }

            _feedback.Play(pattern, now);
            _repeats.Remember(_tap.Uid, _tap.UidLength, now, pattern);
        }
    }
}
