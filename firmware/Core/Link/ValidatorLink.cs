using Maebashi.Edge.Firmware.Storage;

namespace Maebashi.Edge.Firmware.Link
{
    /// <summary>
    /// The validator's end of the link. It never speaks first: every frame the host addresses to it gets exactly one answer,
    /// chosen in this order: the tap waiting for a verdict (Ask), Hello until the host configured it, the oldest tap not yet
    /// acknowledged (resent on every poll until an Ack covers it), else Ping with the backlog. Allocation-free.
    /// </summary>
    public sealed class ValidatorLink
    {
        private readonly ISerialPort _port;
        private readonly ValidatorSettings _settings;
        private readonly SettingsStore _settingsStore;
        private readonly TapRingBuffer _ring;
        private readonly FrameDecoder _decoder = new FrameDecoder();
        private readonly byte[] _rxChunk = new byte[64];
        private readonly byte[] _raw = new byte[LinkProtocol.MaxRaw + 8];
        private readonly byte[] _wire = new byte[LinkProtocol.MaxEncoded + 8];
        private readonly TapRecord _ask = new TapRecord();
        private readonly TapRecord _oldest = new TapRecord();
        private bool _askActive;
        private bool _helloAcknowledged;
        private byte _linkSeq;
        private byte _lastPeerSeq;

        public ValidatorLink(ISerialPort port, ValidatorSettings settings, SettingsStore settingsStore, TapRingBuffer ring)
        {
            _port = port;
            _settings = settings;
            _settingsStore = settingsStore;
            _ring = ring;
            VerdictTimeoutMs = 100;
            RepeatWindowMs = 10000;
            RequestedGain = -1;
        }

        /// <summary>Set by the tap loop: the reader chip answers.</summary>
        public bool ChipOk { get; set; }

        /// <summary>Set by the tap loop when the ring buffer refused a tap.</summary>
        public bool StorageFull { get; set; }

        public bool HasVerdict { get; private set; }
        public uint VerdictSeq { get; private set; }
        public TapDecision VerdictDecision { get; private set; }
        public TapReason VerdictReason { get; private set; }
        public int VerdictFareYen { get; private set; }

        /// <summary>From Config: host time minus the validator's monotonic clock; valid when <see cref="ClockSynced"/>.</summary>
        public long UnixOffsetMs { get; private set; }
        public bool ClockSynced { get; private set; }
        public int VerdictTimeoutMs { get; private set; }
        public int RepeatWindowMs { get; private set; }

        /// <summary>Antenna gain the host asked for (RFCfgReg RxGain value), -1 when none is pending.</summary>
        public int RequestedGain { get; set; }

        /// <summary>Frames from the host that were damaged (dropped, the host resends).</summary>
        public int FramesRejected
        {
            get { return _decoder.Rejected; }
        }

        /// <summary>Monotonic time of the last frame addressed to this validator (-1 never).</summary>
        public long LastPolledMs { get; private set; } = -1;

        /// <summary>Starts asking the host for a verdict on this tap (answered on the next poll).</summary>
        public void BeginAsk(TapRecord tap)
        {
            _ask.CopyFrom(tap);
            _askActive = true;
            HasVerdict = false;
        }

        public void EndAsk()
        {
            _askActive = false;
            HasVerdict = false;
        }

        /// <summary>Reads what the line delivered and answers frames addressed to this validator.</summary>
        public void Pump(long nowMs)
        {
            while (true)
            {
                int n = _port.Read(_rxChunk, 0, _rxChunk.Length);
                if (n <= 0)
                {
                    return;
                }

                for (int i = 0; i < n; i++)
                {
                    if (_decoder.Push(_rxChunk[i]))
                    {
                        Handle(nowMs);
                    }
                }
            }
        }

        private void Handle(long nowMs)
        {
            byte[] f = _decoder.Frame;
            if ((_decoder.Flags & FrameFlags.FromValidator) != 0)
            {
                return;
            }

            byte address = _decoder.Address;
            MessageType type = _decoder.Type;
            bool broadcastProvision = address == LinkProtocol.BroadcastAddress && type == MessageType.Provision;
            if (address != _settings.Address && !broadcastProvision)
            {
                return;
            }

            LastPolledMs = nowMs;
            _lastPeerSeq = f[3];
            int p = LinkProtocol.PayloadAt;
            int length = _decoder.Length;
            byte replyAddress = _settings.Address;
            bool sendHello = false;
            switch (type)
            {
                case MessageType.Verdict:
                    if (length >= p + 12)
                    {
                        uint seq = Bytes.GetU32(f, p);
                        if (_askActive && seq == _ask.Seq)
                        {
                            VerdictSeq = seq;
                            VerdictDecision = (TapDecision)f[p + 4];
                            VerdictReason = (TapReason)f[p + 5];
                            VerdictFareYen = Bytes.GetU16(f, p + 6);
                            HasVerdict = true;
                        }
                    }

                    break;
                case MessageType.Ack:
                    if (length >= p + 4)
                    {
                        _ring.AcknowledgeUpTo(Bytes.GetU32(f, p));
                    }

                    break;
                case MessageType.Config:
                    if (length >= p + 13)
                    {
                        long unixMs = Bytes.GetI64(f, p);
                        if (unixMs > 0)
                        {
                            UnixOffsetMs = unixMs - nowMs;
                            ClockSynced = true;
                        }

                        int timeout = Bytes.GetU16(f, p + 8);
                        VerdictTimeoutMs = timeout > 0 ? timeout : 100;
                        int window = Bytes.GetU16(f, p + 10);
                        RepeatWindowMs = window > 0 ? window * 1000 : 10000;
                        byte gain = f[p + 12];
                        if (gain != 0xFF)
                        {
                            RequestedGain = gain & 0x70;
                        }

                        _helloAcknowledged = true;

                        // Config is the host's handshake: the answer tells it who we are (it may have restarted).
                        sendHello = true;
                    }

                    break;
                case MessageType.Provision:
                    if (length >= p + 7)
                    {
                        int idLength = f[p + 6];
                        if (idLength <= LinkProtocol.MaxDeviceIdLength && length >= p + 7 + idLength)
                        {
                            _settings.Door = f[p];
                            byte newAddress = f[p + 1];
                            uint floor = Bytes.GetU32(f, p + 2);
                            for (int i = 0; i < idLength; i++)
                            {
                                _settings.DeviceId[i] = f[p + 7 + i];
                            }

                            _settings.DeviceIdLength = idLength;
                            if (floor > _settings.SeqFloor)
                            {
                                _settings.SeqFloor = floor;
                            }

                            _ring.RaiseSeqFloor(_settings.SeqFloor);
                            if (newAddress != LinkProtocol.BroadcastAddress && newAddress < 0x80)
                            {
                                _settings.Address = newAddress;
                            }

                            _settingsStore.Save(_settings);
                            sendHello = true;
                        }
                    }

                    break;
            }

            Reply(replyAddress, sendHello);
        }

        private void Reply(byte address, bool sendHello)
        {
            _linkSeq++;
            int n;
            if (sendHello)
            {
                n = BuildHello(address);
            }
            else if (_askActive && !HasVerdict)
            {
                n = BuildTap(address, _ask, FrameFlags.Ask);
            }
            else if (!_helloAcknowledged)
            {
                n = BuildHello(address);
            }
            else if (_ring.PeekOldest(_oldest))
            {
                n = BuildTap(address, _oldest, _ring.PendingCount > 1 ? FrameFlags.More : FrameFlags.None);
            }
            else
            {
                int p = LinkProtocol.PutHeader(_raw, address, MessageType.Ping, FrameFlags.FromValidator, _linkSeq, _lastPeerSeq);
                Bytes.PutU16(_raw, p, _ring.PendingCount);
                _raw[p + 2] = StatusBits();
                n = p + 3;
            }

            int wireLength = LinkProtocol.Seal(_raw, n, _wire);
            _port.Write(_wire, 0, wireLength);
        }

        private int BuildHello(byte address)
        {
            int p = LinkProtocol.PutHeader(_raw, address, MessageType.Hello, FrameFlags.FromValidator, _linkSeq, _lastPeerSeq);
            _raw[p] = LinkProtocol.FirmwareMajor;
            _raw[p + 1] = LinkProtocol.FirmwareMinor;
            _raw[p + 2] = LinkProtocol.FirmwarePatch;
            _raw[p + 3] = _settings.Door;
            Bytes.PutU32(_raw, p + 4, _ring.LastSeq);
            Bytes.PutU16(_raw, p + 8, _ring.PendingCount);
            _raw[p + 10] = StatusBits();
            _raw[p + 11] = (byte)_settings.DeviceIdLength;
            for (int i = 0; i < _settings.DeviceIdLength; i++)
            {
                _raw[p + 12 + i] = _settings.DeviceId[i];
            }

            return p + 12 + _settings.DeviceIdLength;
        }

        private int BuildTap(byte address, TapRecord tap, FrameFlags flags)
        {
            int p = LinkProtocol.PutHeader(_raw, address, MessageType.Tap, flags | FrameFlags.FromValidator, _linkSeq, _lastPeerSeq);
            Bytes.PutU32(_raw, p, tap.Seq);
            Bytes.PutI64(_raw, p + 4, tap.UnixMs);
            _raw[p + 12] = tap.Door;
            _raw[p + 13] = (byte)tap.Decision;
            _raw[p + 14] = (byte)tap.Flags;
            _raw[p + 15] = (byte)tap.Reason;
            Bytes.PutU16(_raw, p + 16, tap.FareYen);
            _raw[p + 18] = (byte)tap.UidLength;
            for (int i = 0; i < tap.UidLength; i++)
            {
                _raw[p + 19 + i] = tap.Uid[i];
            }

            int end = p + 19 + tap.UidLength;
            if (!tap.HasSun)
            {
                return end;
            }

            // Firmware 1.1: the SUN message after the UID, announced by TapFlags.Sun (a 1.0 host reads up to the UID and
            // ignores the rest).
            for (int i = 0; i < TapRecord.SunEncryptedLength; i++)
            {
                _raw[end + i] = tap.SunEncrypted[i];
            }

            end += TapRecord.SunEncryptedLength;
            for (int i = 0; i < TapRecord.SunMacLength; i++)
            {
                _raw[end + i] = tap.SunMac[i];
            }

            return end + TapRecord.SunMacLength;
        }

        private byte StatusBits()
        {
            int bits = 0;
            if (ChipOk)
            {
                bits |= (int)ValidatorStatus.ChipOk;
            }

            if (_settings.Provisioned)
            {
                bits |= (int)ValidatorStatus.Provisioned;
            }

            if (ClockSynced)
            {
                bits |= (int)ValidatorStatus.ClockSynced;
            }

            if (StorageFull)
            {
                bits |= (int)ValidatorStatus.StorageFull;
            }

            return (byte)bits;
        }
    }
}
