using Maebashi.Edge.Emulation.Mfrc522;
using Maebashi.Edge.Firmware.Mfrc522;

namespace Maebashi.Edge.Firmware.Simulator;

/// <summary>The firmware's register bus straight onto the emulated chip's register file (no SPI framing).</summary>
public sealed class ChipRegisterBus(Mfrc522Chip chip) : IRegisterBus
{
    public byte Read(Register register) => chip.ReadRegister((byte)register);

    public void Write(Register register, byte value) => chip.WriteRegister((byte)register, value);

    public void ReadFifo(byte[] buffer, int offset, int count)
    {
        for (int i = 0; i < count; i++)
        {
            buffer[offset + i] = chip.ReadRegister((byte)Register.FifoData);
        }
    }

    public void WriteFifo(byte[] buffer, int offset, int count)
    {
        for (int i = 0; i < count; i++)
        {
            chip.WriteRegister((byte)Register.FifoData, buffer[offset + i]);
        }
    }
}
