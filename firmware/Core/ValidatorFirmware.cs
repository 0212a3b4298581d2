using Maebashi.Edge.Firmware.Link;
using Maebashi.Edge.Firmware.Mfrc522;
using Maebashi.Edge.Firmware.Storage;
using Maebashi.Edge.Firmware.Taps;

namespace Maebashi.Edge.Firmware
{
    /// <summary>
    /// The whole validator behind its interfaces: the board (or the simulator) supplies the register bus, the serial port,
    /// the two flash regions, the indicators and the clock, then calls <see cref="Start"/> once and <see cref="Step"/> in
    /// its main loop (every few ms). Everything is allocated here, none per tap.
    /// </summary>
    public sealed class ValidatorFirmware
    {
        public ValidatorFirmware(IRegisterBus bus, ISerialPort port, IFlashStorage tapFlash, IFlashStorage settingsFlash, IFeedback feedback, IClock clock)
            : this(bus, null, port, tapFlash, settingsFlash, feedback, clock)
        {
        }

        /// <summary><paramref name="resetLine"/>: the MFRC522's NRSTPD pin, or null when not wired.</summary>
        public ValidatorFirmware(IRegisterBus bus, IChipResetLine? resetLine, ISerialPort port, IFlashStorage tapFlash, IFlashStorage settingsFlash, IFeedback feedback, IClock clock)
        {
            Clock = clock;
            Settings = new ValidatorSettings();
            SettingsStore = new SettingsStore(settingsFlash);
            Ring = new TapRingBuffer(tapFlash);
            Reader = new Mfrc522Driver(bus, AntennaGain.Db48, resetLine);
            Feedback = new FeedbackPlayer(feedback);
            Link = new ValidatorLink(port, Settings, SettingsStore, Ring);
            Taps = new TapLoop(Reader, Ring, Link, Settings, clock, Feedback);
        }

        public IClock Clock { get; private set; }
        public ValidatorSettings Settings { get; private set; }
        public SettingsStore SettingsStore { get; private set; }
        public TapRingBuffer Ring { get; private set; }
        public Mfrc522Driver Reader { get; private set; }
        public FeedbackPlayer Feedback { get; private set; }
        public ValidatorLink Link { get; private set; }
        public TapLoop Taps { get; private set; }

        /// <summary>Loads settings, recovers the ring buffer after whatever cut the power, starts the reader chip.</summary>
        public void Start()
        {
            SettingsStore.Load(Settings);
            Ring.RaiseSeqFloor(Settings.SeqFloor);
            Ring.Mount();
            Link.ChipOk = Reader.Initialize();
        }

        public void Step()
        {
            long now = Clock.MonotonicMs;
            Link.Pump(now);
            Taps.Step();
        }
    }
}
