using Maebashi.Edge.Emulation;
using Maebashi.Edge.Emulation.Cards;
using Maebashi.Edge.Emulation.Mfrc522;
using Maebashi.Edge.Firmware.Link;
using Maebashi.Edge.Firmware.Storage;
using Maebashi.Edge.Readers.Drivers;

namespace Maebashi.Edge.Firmware.Simulator;

/// <summary>What a simulated validator is: its provisioning, as a technician would set it.</summary>
public sealed record ValidatorSpec(string DeviceId, byte Address, byte Door);

/// <summary>
/// One validator without hardware: the .NET build of the firmware core, an emulated MFRC522 (SPI framing included) with
/// its RF field, emulated NOR flash for taps and settings, LEDs and buzzer as state, on a <see cref="SimulatedRs485Line"/>.
/// Thread-safe: the line's deliveries and <see cref="Step"/> share one lock, as the device's single main loop would.
/// </summary>
public sealed class SimulatedValidator
{
    /// <summary>The shipped tap partition: 256 KiB in 4 KiB sectors (hardware/README.md).</summary>
    public const int TapSectorSize = 4096;
    public const int TapSectorCount = 64;

    private readonly Lock _gate = new();
    private readonly SimulatedRs485Line _line;
    private readonly Port _port;

    /// <summary>A validator on <paramref name="line"/>; <paramref name="spec"/> null leaves it unprovisioned (address 0x7F).</summary>
    public SimulatedValidator(SimulatedRs485Line line, ValidatorSpec? spec, TimeProvider time, EmulatedFlash? tapFlash = null, EmulatedFlash? settingsFlash = null)
    {
        _line = line;
        Time = time;
        Field = new RfField();
        Chip = new Mfrc522Chip(Field);
        TapFlash = tapFlash ?? new EmulatedFlash(TapSectorSize, TapSectorCount);
        SettingsFlash = settingsFlash ?? new EmulatedFlash(4096, 2);
        Indicators = new SimulatedIndicators();
        _port = new Port(this);
        if (spec is not null)
        {
            var settings = new ValidatorSettings { Address = spec.Address, Door = spec.Door };
            byte[] id = System.Text.Encoding.ASCII.GetBytes(spec.DeviceId);
            if (id.Length > LinkProtocol.MaxDeviceIdLength)
            {
                throw new ArgumentException($"device id longer than {LinkProtocol.MaxDeviceIdLength} characters", nameof(spec));
            }

            id.CopyTo(settings.DeviceId, 0);
            settings.DeviceIdLength = id.Length;
            new SettingsStore(SettingsFlash).Save(settings);
        }

        Firmware = new ValidatorFirmware(new SpiRegisterBus(new Mfrc522SpiDevice(Chip)), new ResetLine(Chip), _port, TapFlash, SettingsFlash, Indicators, new TimeProviderClock(time));
        Firmware.Start();
        line.Attach(this);
    }

    public TimeProvider Time { get; }

    public RfField Field { get; }

    public Mfrc522Chip Chip { get; }

    public EmulatedFlash TapFlash { get; }

    public EmulatedFlash SettingsFlash { get; }

    public SimulatedIndicators Indicators { get; }

    public ValidatorFirmware Firmware { get; }

    public byte Address => Firmware.Settings.Address;

    /// <summary>True once the emulated power was cut (a flash operation threw <see cref="PowerCutException"/>): the board
    /// is dead from then on, runs no loop and neither hears nor answers the line. Restart it as a new
    /// <see cref="SimulatedValidator"/> on the same flash.</summary>
    public bool PoweredOff { get; private set; }

    /// <summary>One pass of the validator's main loop; throws <see cref="PowerCutException"/> on the pass the power is cut.</summary>
    public void Step()
    {
        lock (_gate)
        {
            if (PoweredOff)
            {
                return;
            }

            try
            {
                Firmware.Step();
            }
            catch (PowerCutException)
            {
                PoweredOff = true;
                throw;
            }
        }
    }

    /// <summary>Runs <paramref name="action"/> under the validator's lock (to read its state consistently).</summary>
    public T Inspect<T>(Func<ValidatorFirmware, T> action)
    {
        lock (_gate)
        {
            return action(Firmware);
        }
    }

    /// <summary>Puts a card on the reader (it stays until <see cref="Lift"/>).</summary>
    public void Present(VirtualCard card) => Field.Place(card);

    public void Lift(VirtualCard card) => Field.Remove(card);

    /// <summary>Bytes the host sent: handled at once, like the device's UART interrupt feeding its loop.</summary>
    internal void Deliver(byte[] bytes)
    {
        lock (_gate)
        {
            if (PoweredOff)
            {
                return;
            }

            _port.Enqueue(bytes);
            try
            {
                Firmware.Link.Pump(Firmware.Clock.MonotonicMs);
            }
            catch (PowerCutException)
            {
                // The cut came during the host's frame (e.g. marking taps acknowledged): the board dies, the host's
                // side of the line does not notice beyond the silence.
                PoweredOff = true;
            }
        }
    }

    /// <summary>Another validator's answer: the UART receives it too; the link discards it on the next pump.</summary>
    internal void Overhear(byte[] bytes)
    {
        if (!PoweredOff)
        {
            _port.Enqueue(bytes);
        }
    }

    /// <summary>The board's GPIO to the chip's NRSTPD pin.</summary>
    private sealed class ResetLine(Mfrc522Chip chip) : Mfrc522.IChipResetLine
    {
        public void Pulse() => chip.HardReset();
    }

    private sealed class Port(SimulatedValidator owner) : ISerialPort
    {
        private readonly Lock _gate = new();
        private readonly byte[] _rx = new byte[4096];
        private int _head;
        private int _count;

        public void Enqueue(byte[] bytes)
        {
            lock (_gate)
            {
                foreach (byte b in bytes)
                {
                    if (_count == _rx.Length)
                    {
                        // UART overrun: the oldest byte is lost, as on the device; framing recovers at the next 0x00.
                        _head = (_head + 1) % _rx.Length;
                        _count--;
                    }

                    _rx[(_head + _count) % _rx.Length] = b;
                    _count++;
                }
            }
        }

        public int Read(byte[] buffer, int offset, int count)
        {
            lock (_gate)
            {
                int n = Math.Min(count, _count);
                for (int i = 0; i < n; i++)
                {
                    buffer[offset + i] = _rx[_head];
                    _head = (_head + 1) % _rx.Length;
                }

                _count -= n;
                return n;
            }
        }

        public void Write(byte[] buffer, int offset, int count) => owner._line.FromValidator(owner, buffer, offset, count);
    }
}
