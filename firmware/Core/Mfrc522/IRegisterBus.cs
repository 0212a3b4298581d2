namespace Maebashi.Edge.Firmware.Mfrc522
{
    /// <summary>The few operations the driver needs from the chip's host interface (datasheet section 8.1: SPI, I2C or UART).
    /// A read of a chip that no longer answers returns whatever the bus floats to (0x00 or 0xFF); the driver detects that.</summary>
    public interface IRegisterBus
    {
        byte Read(Register register);

        void Write(Register register, byte value);

        /// <summary>Reads <paramref name="count"/> bytes from FIFODataReg (section 8.3 FIFO buffer).</summary>
        void ReadFifo(byte[] buffer, int offset, int count);

        /// <summary>Writes <paramref name="count"/> bytes to FIFODataReg.</summary>
        void WriteFifo(byte[] buffer, int offset, int count);
    }

    /// <summary>The MFRC522's NRSTPD pin (datasheet 8.8.1 hard power-down): low then high restarts the chip from power-on.
    /// The last resort when a soft reset no longer reaches it.</summary>
    public interface IChipResetLine
    {
        void Pulse();
    }
}
