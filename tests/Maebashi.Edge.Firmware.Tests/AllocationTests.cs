using Maebashi.Edge.Firmware.Link;
using Maebashi.Edge.Firmware.Simulator;
using Maebashi.Edge.Firmware.Storage;
using Maebashi.Edge.Firmware.Taps;

namespace Maebashi.Edge.Firmware.Tests;

/// <summary>docs/contract.md §10: no managed allocation per tap once the validator runs (on the .NET build of the core).</summary>
[Trait("Category", "Firmware")]
public sealed class AllocationTests
{
    [Fact]
    public void Ten_thousand_taps_allocate_nothing_after_warm_up()
    {
        var clock = new ManualClock();
        var bus = new ScriptedTypeABus();
        var port = new LoopbackPort();
        var settingsFlash = new EmulatedFlash(4096, 2);
        var settings = new ValidatorSettings { Address = 1, Door = 1 };
        new SettingsStore(settingsFlash).Save(settings);
        var firmware = new ValidatorFirmware(bus, port, new EmulatedFlash(4096, 64), settingsFlash, new SimulatedIndicators(), clock);
        firmware.Start();
        var host = new HostEnd(port, firmware, clock);
        host.Configure();

        for (int i = 0; i < 300; i++)
        {
            Assert.True(host.Tap(bus), $"warm-up tap {i} went through");
        }

        int recordedBefore = firmware.Taps.TapsRecorded;
        int completed = 0;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10_000; i++)
        {
            if (host.Tap(bus))
            {
                completed++;
            }
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(10_000, completed);
        Assert.Equal(10_000, firmware.Taps.TapsRecorded - recordedBefore);
        Assert.Equal(0, firmware.Ring.PendingCount);
        Assert.Equal(10_300, firmware.Feedback.Played[(int)FeedbackPattern.Accept]);
        Assert.Equal(0, allocated);
    }

    /// <summary>The validator's UART with preallocated buffers.</summary>
    private sealed class LoopbackPort : ISerialPort
    {
        public readonly byte[] Rx = new byte[512];
        public int RxCount;
        private int _rxRead;
        public readonly byte[] Tx = new byte[512];
        public int TxCount;

        public int Read(byte[] buffer, int offset, int count)
        {
            int n = Math.Min(count, RxCount - _rxRead);
            Array.Copy(Rx, _rxRead, buffer, offset, n);
            _rxRead += n;
            if (_rxRead == RxCount)
            {
                _rxRead = 0;
                RxCount = 0;
            }

            return n;
        }

        public void Write(byte[] buffer, int offset, int count)
        {
            Array.Copy(buffer, offset, Tx, TxCount, count);
            TxCount += count;
        }
    }

    /// <summary>The host's side of one tap, with the core's own allocation-free codec.</summary>
    private sealed class HostEnd(LoopbackPort port, ValidatorFirmware firmware, ManualClock clock)
    {
        private readonly byte[] _raw = new byte[LinkProtocol.MaxRaw + 8];
        private readonly FrameDecoder _decoder = new();
        private byte _seq;

        public void Configure()
        {
            int p = LinkProtocol.PutHeader(_raw, 1, MessageType.Config, FrameFlags.None, ++_seq, 0);
            Bytes.PutI64(_raw, p, clock.UnixMs);
            Bytes.PutU16(_raw, p + 8, 100);
            Bytes.PutU16(_raw, p + 10, 10);
            _raw[p + 12] = 0xFF;
            Assert.True(Send(p + 13));
            Assert.Equal(MessageType.Hello, _decoder.Type);
        }

        public bool Tap(ScriptedTypeABus bus)
        {
            clock.Advance(11_000);
            bus.CardPresent = true;
            firmware.Step();
            if (firmware.Taps.State != TapLoopState.AwaitingVerdict)
            {
                return false;
            }

            // Poll: the validator asks for a verdict.
            if (!Send(LinkProtocol.PutHeader(_raw, 1, MessageType.Ping, FrameFlags.None, ++_seq, 0)) || _decoder.Type != MessageType.Tap
                || (_decoder.Flags & FrameFlags.Ask) == 0)
            {
                return false;
            }

            uint seq = Bytes.GetU32(_decoder.Frame, LinkProtocol.PayloadAt);
            int p = LinkProtocol.PutHeader(_raw, 1, MessageType.Verdict, FrameFlags.None, ++_seq, 0);
            Bytes.PutU32(_raw, p, seq);
            _raw[p + 4] = (byte)TapDecision.Accept;
            _raw[p + 5] = 0;
            Bytes.PutU16(_raw, p + 6, 180);
            Bytes.PutU32(_raw, p + 8, 0);
            if (!Send(p + 12))
            {
                return false;
            }

            clock.Advance(5);
            firmware.Step();

            // Poll: the recorded tap comes; acknowledge it.
            if (!Send(LinkProtocol.PutHeader(_raw, 1, MessageType.Ping, FrameFlags.None, ++_seq, 0)) || _decoder.Type != MessageType.Tap
                || Bytes.GetU32(_decoder.Frame, LinkProtocol.PayloadAt) != seq)
            {
                return false;
            }

            p = LinkProtocol.PutHeader(_raw, 1, MessageType.Ack, FrameFlags.None, ++_seq, 0);
            Bytes.PutU32(_raw, p, seq);
            bool acked = Send(p + 4) && _decoder.Type == MessageType.Ping;
            bus.Lift();
            clock.Advance(1_000);
            firmware.Step();
            return acked;
        }

        private bool Send(int length)
        {
            port.RxCount = LinkProtocol.Seal(_raw, length, port.Rx);
            port.TxCount = 0;
            firmware.Link.Pump(clock.MonotonicMs);
            bool got = false;
            for (int i = 0; i < port.TxCount; i++)
            {
                got |= _decoder.Push(port.Tx[i]);
            }

            return got;
        }
    }
}
