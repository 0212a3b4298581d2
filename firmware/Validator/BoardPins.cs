// Generated from hardware/pinmaps/esp32-devkitc-validator.json by `./maebashi-edge validator pinmap render`.
// Edit the pin map, then regenerate; a test fails while this file and the map disagree.
namespace Maebashi.Edge.Validator
{
    /// <summary>GPIO numbers of the validator board (esp32-devkitc).</summary>
    internal static class BoardPins
    {
        /// <summary>MFRC522 SCK</summary>
        public const int SpiClock = 18;

        /// <summary>MFRC522 MOSI</summary>
        public const int SpiMosi = 23;

        /// <summary>MFRC522 MISO</summary>
        public const int SpiMiso = 19;

        /// <summary>MFRC522 SDA (NSS)</summary>
        public const int ReaderChipSelect = 5;

        /// <summary>MFRC522 NRSTPD</summary>
        public const int ReaderReset = 22;

        /// <summary>MAX3485 DI</summary>
        public const int Rs485Tx = 17;

        /// <summary>MAX3485 RO</summary>
        public const int Rs485Rx = 16;

        /// <summary>MAX3485 DE + /RE (UART RTS in RS-485 mode)</summary>
        public const int Rs485DriverEnable = 4;

        /// <summary>green LED</summary>
        public const int LedGreen = 25;

        /// <summary>red LED</summary>
        public const int LedRed = 26;

        /// <summary>buzzer transistor</summary>
        public const int Buzzer = 27;
    }
}
